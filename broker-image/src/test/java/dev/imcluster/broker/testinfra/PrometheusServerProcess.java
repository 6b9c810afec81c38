package dev.imcluster.broker.testinfra;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Debian's prometheus on a free loopback port with a throw-away TSDB, scraping the given {@code host:port} targets'
 * {@code /metrics} every second, each with the labels a Kubernetes scrape would add (namespace, instance name, pod).
 */
public final class PrometheusServerProcess extends ExternalServerProcess {

    private PrometheusServerProcess(Map<String, Map<String, String>> targets) {
        super("prometheus");
        StringBuilder yml = new StringBuilder(
                "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\nscrape_configs:\n");
        int i = 0;
        for (Map.Entry<String, Map<String, String>> t : targets.entrySet()) {
            String labels = t.getValue().entrySet().stream().map(l -> l.getKey() + ": '" + l.getValue() + "'")
                    .collect(Collectors.joining(", "));
            yml.append("- job_name: target-").append(i++).append('\n')
                    .append("  static_configs: [{targets: ['").append(t.getKey()).append("'], labels: {")
                    .append(labels).append("}}]\n");
        }
        try {
            Files.writeString(dir.resolve("prometheus.yml"), yml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Scrapes each key ({@code host:port}) with its labels. */
    public static PrometheusServerProcess launch(Map<String, Map<String, String>> targets) {
        return started(new PrometheusServerProcess(targets));
    }

    /** The HTTP API's base, e.g. {@code http://127.0.0.1:PORT/api/v1}. */
    public String api() {
        return "http://" + bindAddress + ":" + port + "/api/v1";
    }

    @Override
    protected List<String> command() {
        return List.of("prometheus", "--config.file", dir.resolve("prometheus.yml").toString(),
                "--storage.tsdb.path", dir.resolve("tsdb").toString(),
                "--web.listen-address", bindAddress + ":" + port, "--log.level", "warn");
    }

    @Override
    protected boolean ready(Socket socket) throws IOException {
        socket.getOutputStream().write("GET /-/ready HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        String status = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();
        return status != null && status.contains(" 200");
    }
}
