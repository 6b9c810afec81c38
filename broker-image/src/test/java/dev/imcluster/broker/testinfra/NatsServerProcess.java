package dev.imcluster.broker.testinfra;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Debian's nats-server with JetStream ({@code -js}) on a free port of loopback or of a test host, its store in a temp
 * dir.
 */
public final class NatsServerProcess extends ExternalServerProcess {

    /** {cert, key, CA bundle} files when TLS is on, else null. */
    private final String[] tls;

    private NatsServerProcess(String[] tls, TestNetwork.Host host) {
        super("nats", host);
        this.tls = tls;
    }

    public static NatsServerProcess launch() {
        return started(new NatsServerProcess(null, null));
    }

    /** On a test host, at its address. */
    public static NatsServerProcess launchOn(TestNetwork.Host host) {
        return started(new NatsServerProcess(null, host));
    }

    /** TLS only, requiring client certificates of {@code caFile} (INFO still comes first in clear). */
    public static NatsServerProcess launchTls(String certFile, String keyFile, String caFile) {
        return started(new NatsServerProcess(new String[] {certFile, keyFile, caFile}, null));
    }

    public String url() {
        return (tls == null ? "nats://" : "tls://") + bindAddress + ":" + port;
    }

    @Override
    protected List<String> command() {
        List<String> cmd = new java.util.ArrayList<>(List.of("nats-server", "-js", "-a", bindAddress, "-p",
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
