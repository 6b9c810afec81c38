package dev.imcluster.broker.testinfra;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Debian's nats-server with JetStream ({@code -js}) on a free loopback port, its store in a temp dir. */
public final class NatsServerProcess extends ExternalServerProcess {

    private NatsServerProcess() {
        super("nats");
    }

    public static NatsServerProcess launch() {
        NatsServerProcess p = new NatsServerProcess();
        try {
            p.start();
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    @Override
    protected List<String> command() {
        return List.of("nats-server", "-js", "-a", "127.0.0.1", "-p", Integer.toString(port),
                "-sd", dir.resolve("jetstream").toString());
    }

    @Override
    protected boolean ready(Socket socket) throws IOException {
        String line = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();
        return line != null && line.startsWith("INFO");
    }
}
