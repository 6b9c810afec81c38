package dev.imcluster.broker.testinfra;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Debian's mosquitto (MQTT 3.1.1 and 5) on a free loopback port (or a test host's address), anonymous, its sessions
 * persisted in a temp dir (so a stop and start keeps them, as a broker pod restart with a volume would; a SIGKILL
 * loses what came since the last snapshot), no limit on queued messages.
 */
public final class MosquittoServerProcess extends ExternalServerProcess {
    /** Where Debian's package puts it (/usr/sbin is not on every user's PATH). */
    static final String BINARY = "/usr/sbin/mosquitto";
    /** A minimal MQTT 3.1.1 CONNECT (clean session, keepalive 60 s, empty client id). */
    private static final byte[] CONNECT = {0x10, 0x0c, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3c, 0x00,
        0x00};
    private static final int CONNACK = 0x20;

    /**
     * Seconds between persistence snapshots, as the operator's managed Mosquitto saves: a graceful stop saves, a
     * crash loses what came since the last snapshot.
     */
    public static final int AUTOSAVE_SECONDS = 5;

    private final Path conf;
    private final int tlsPort;

    /** With {@code tls} ({cert, key, CA bundle} files), a second listener: TLS only, client certificates required. */
    private MosquittoServerProcess(String[] tls, TestNetwork.Host host) {
        super("mosquitto", host);
        List<String> lines = new java.util.ArrayList<>(List.of(
                "listener " + port + " " + bindAddress, // plain: the readiness probe's, and the tests' without TLS
                "allow_anonymous true",
                "persistence true",
                "persistence_location " + dir + "/",
                "autosave_interval " + AUTOSAVE_SECONDS,
                "max_queued_messages 0", // no limit: the tests count every message
                "max_inflight_messages 64", // what a 3.1.1 member may hold (MQTT 5 clients say their own)
                "user root", // stay the user that started it (as root it would switch to mosquitto)
                "log_dest stdout"));
        try {
            tlsPort = tls == null ? -1 : freePort();
            if (tls != null) {
                // Settings after a listener line are that listener's.
                lines.addAll(List.of("listener " + tlsPort + " " + bindAddress, "certfile " + tls[0],
                        "keyfile " + tls[1], "cafile " + tls[2], "require_certificate true"));
            }
            conf = dir.resolve("mosquitto.conf");
            // Written once: command() is called again while the server reads it, and a rewrite would truncate it.
            Files.writeString(conf, String.join("\n", lines) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static MosquittoServerProcess launch() {
        return started(new MosquittoServerProcess(null, null));
    }

    /** On a test host, at its address. */
    public static MosquittoServerProcess launchOn(TestNetwork.Host host) {
        return started(new MosquittoServerProcess(null, host));
    }

    /** With a TLS listener too, whose certificate names {@code localhost}; see {@link #tlsUrl}. */
    public static MosquittoServerProcess launchTls(String certFile, String keyFile, String caFile) {
        return started(new MosquittoServerProcess(new String[] {certFile, keyFile, caFile}, null));
    }

    /** The {@code mq.mqtt.url} of the TLS listener. */
    public String tlsUrl() {
        return "ssl://localhost:" + tlsPort;
    }

    /** The {@code mq.mqtt.url} of this server. */
    public String url() {
        return "tcp://" + bindAddress + ":" + port;
    }

    @Override
    protected List<String> command() {
        return List.of(BINARY, "-c", conf.toString());
    }

    @Override
    protected String packageName() {
        return "mosquitto";
    }

    @Override
    protected boolean ready(Socket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(CONNECT);
        out.flush();
        InputStream in = socket.getInputStream();
        return in.read() == CONNACK;
    }
}
