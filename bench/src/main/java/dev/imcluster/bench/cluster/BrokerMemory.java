package dev.imcluster.bench.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The broker's memory seen from inside (its Prometheus /metrics: JVM heap, non-heap and NIO direct buffers) and
 * from outside (the process's resident set from /proc). Before sampling, a full GC can be asked with jcmd so
 * that the heap figure is live data rather than garbage.
 */
public record BrokerMemory(long heapUsed, long nonHeapUsed, long directUsed, long rss) {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public static BrokerMemory sample(String host, int adminPort, long pid, boolean gcFirst) throws IOException,
            InterruptedException {
        if (gcFirst && pid > 0) {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    String.valueOf(pid), "GC.run").redirectErrorStream(true).redirectOutput(
                    ProcessBuilder.Redirect.DISCARD).start();
            p.waitFor(60, TimeUnit.SECONDS);
        }
        String metrics = scrape(host, adminPort);
        return new BrokerMemory(sum(metrics, "jvm_memory_used_bytes", "area=\"heap\""),
                sum(metrics, "jvm_memory_used_bytes", "area=\"nonheap\""),
                sum(metrics, "jvm_buffer_memory_used_bytes", "id=\"direct\""), rss(pid));
    }

    public static String scrape(String host, int adminPort) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + adminPort
                + "/metrics")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET /metrics answered " + r.statusCode());
        }
        return r.body();
    }

    /** Sum of the samples of {@code name} whose labels contain {@code labelFilter} (or all, if empty). */
    public static long sum(String metrics, String name, String labelFilter) {
        double total = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name) && (line.length() > name.length())
                    && (line.charAt(name.length()) == '{' || line.charAt(name.length()) == ' ')
                    && line.contains(labelFilter)) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return (long) total;
    }

    /** VmRSS of the process in bytes, or -1 when it is not on this machine. */
    public static long rss(long pid) throws IOException {
        if (pid <= 0) {
            return -1;
        }
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return -1;
    }
}
