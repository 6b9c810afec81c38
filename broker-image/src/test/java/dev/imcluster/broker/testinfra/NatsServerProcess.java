package dev.imcluster.broker.testinfra;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Debian's nats-server with JetStream ({@code -js}) on a free loopback port, its store in a temp dir. */
public final class NatsServerProcess extends ExternalServerProcess {

    /** {cert, key, CA bundle} files when TLS is on, else null. */
    private final String[] tls;

    private NatsServerProcess(String[] tls) {
        super("nats");
        this.tls = tls;
    }

    public static NatsServerProcess launch() {
        return started(new NatsServerProcess(null));
    }

    /** TLS only, requiring client certificates of {@code caFile} (INFO still comes first in clear). */
    public static NatsServerProcess launchTls(String certFile, String keyFile, String caFile) {
        return started(new NatsServerProcess(new String[] {certFile, keyFile, caFile}));
    }

    public String url() {
        return (tls == null ? "nats://" : "tls://") + "127.0.0.1:" + port;
    }

    @Override
    protected List<String> command() {
        List<String> cmd = new java.util.ArrayList<>(List.of("nats-server", "-js", "-a", "127.0.0.1", "-p",
                Integer.toString(port), "-sd", dir.resolve("jetstream").toString()));
        if (tls != null) {
            cmd.addAll(List.of("--tlsverify", "--tlscert", tls[0], "--tlskey", tls[1], "--tlscacert", tls[2]));
        }
        return cmd;
    }

    @Override
    protected boolean ready(Socket socket) throws IOException {
        String line = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();
        return line != null && line.startsWith("INFO");
    }
}
