package dev.imcluster.broker.testinfra;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Debian's redis-server on a free loopback port (or a test host's address), append-only persistence in a temp dir
 * (so a restart keeps the data, as a real deployment would), optionally with requirepass.
 */
public final class RedisServerProcess extends ExternalServerProcess {
    private final String password;
    /** host:port of the master this one replicates at start, or null. */
    private String replicaOf;
    /** {cert, key, CA bundle} files when TLS is on, else null. */
    private final String[] tls;
    private final int tlsPort;
    private RedisClient commandsClient;
    private StatefulRedisConnection<String, String> commandsConnection;

    private RedisServerProcess(String password, String[] tls, TestNetwork.Host host) {
        super("redis", host);
        this.password = password;
        this.tls = tls;
        try {
            this.tlsPort = tls == null ? -1 : freePort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * With a TLS port too that requires client certificates of {@code caFile} (the plain port stays, for the
     * readiness probe).
     */
    public static RedisServerProcess launchTls(String certFile, String keyFile, String caFile) {
        return started(new RedisServerProcess(null, new String[] {certFile, keyFile, caFile}, null));
    }

    /** host:port of the TLS port. */
    public String tlsAddress() {
        return bindAddress + ":" + tlsPort;
    }

    /** On a test host, at its address. */
    public static RedisServerProcess launchOn(TestNetwork.Host host) {
        return started(new RedisServerProcess(null, null, host));
    }

    public static RedisServerProcess launch(String password) {
        return started(new RedisServerProcess(password, null, null));
    }

    public static RedisServerProcess launch() {
        return launch(null);
    }

    /**
     * A replica of {@code master}, with the same password (which it also uses as masterauth, so that either can
     * replicate the other after a failover).
     */
    public static RedisServerProcess launchReplicaOf(RedisServerProcess master) {
        RedisServerProcess replica = new RedisServerProcess(master.password, null, null);
        replica.replicaOf = master.address();
        return started(replica);
    }

    /** host:port, the form of the {@code redis.address} config key. */
    public String address() {
        return bindAddress + ":" + port;
    }

    /**
     * Commands straight to this server (with its password), for what a test checks or clears behind a store's back; the
     * connection closes with the server.
     */
    public synchronized RedisCommands<String, String> commands() {
        if (commandsConnection == null) {
            RedisURI uri = RedisURI.create(bindAddress, port);
            if (password != null) {
                uri.setCredentialsProvider(io.lettuce.core.RedisCredentialsProvider.from(() -> io.lettuce.core.RedisCredentials.just(null, password)));
            }
            commandsClient = RedisClient.create(uri);
            commandsConnection = commandsClient.connect();
        }
        return commandsConnection.sync();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (commandsConnection != null) {
                commandsConnection.close();
                commandsClient.shutdown();
                commandsConnection = null;
            }
        }
        super.close();
    }

    @Override
    protected List<String> command() {
        List<String> cmd = new ArrayList<>(List.of("redis-server",
                "--port", Integer.toString(port), "--bind", bindAddress, "--dir", dir.toString(),
                "--appendonly", "yes", "--save", "", "--daemonize", "no", "--protected-mode", "no",
                "--logfile", ""));
        if (password != null) {
            cmd.addAll(List.of("--requirepass", password, "--masterauth", password));
        }
        if (replicaOf != null) {
            int colon = replicaOf.lastIndexOf(':');
            cmd.addAll(List.of("--replicaof", replicaOf.substring(0, colon), replicaOf.substring(colon + 1)));
        }
        if (tls != null) {
            cmd.addAll(List.of("--tls-port", Integer.toString(tlsPort), "--tls-cert-file", tls[0], "--tls-key-file",
                    tls[1], "--tls-ca-cert-file", tls[2], "--tls-auth-clients", "yes"));
        }
        return cmd;
    }

    @Override
    protected boolean ready(Socket socket) throws IOException {
        return answersPing(socket);
    }

    /** A redis-server (or Sentinel) that serves: PING answered. */
    static boolean answersPing(Socket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String line = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();
        // +PONG, or -NOAUTH when a password is required: either way it serves; -LOADING means not yet.
        return line != null && (line.startsWith("+PONG") || line.startsWith("-NOAUTH"));
    }
}
