package dev.imcluster.broker.testinfra;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A server binary from the distribution (redis-server, nats-server) run by a test on a free loopback port with
 * its own temp directory. It can be stopped and started again on the same port and directory (outage tests);
 * {@link #close()} stops it and deletes the directory.
 */
public abstract class ExternalServerProcess implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    protected final Path dir;
    protected final int port;
    /** The address it binds and is reached at: loopback, or a test host's. */
    protected final String bindAddress;
    private final List<String> prefix;
    private Process process;

    protected ExternalServerProcess(String name) {
        this(name, null);
    }

    /** On {@code host} (null: loopback in this namespace). */
    protected ExternalServerProcess(String name, TestNetwork.Host host) {
        this.bindAddress = host == null ? "127.0.0.1" : host.address();
        this.prefix = host == null ? List.of() : host.exec();
        try {
            this.dir = Files.createTempDirectory("imcluster-" + name + "-");
            this.port = freePort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final java.util.Set<Integer> GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A port that was free a moment ago, for a child process to bind. Taken below the kernel's ephemeral range
     * (32768 and up), where bind(0) and every outgoing connection get their ports: a port found free there can be
     * taken by some client connection before the child binds it (seen in CI as "Address already in use").
     */
    public static int freePort() throws IOException {
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = 20_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(12_000);
            if (!GIVEN.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
                return port;
            } catch (IOException busy) {
                // someone else's: try another
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    protected abstract List<String> command();

    /** The Debian package of the binary: by default the binary's name. */
    protected String packageName() {
        return Path.of(command().get(0)).getFileName().toString();
    }

    /** True once the server answers on its port. */
    protected abstract boolean ready(Socket socket) throws IOException;

    /** Starts {@code server}; if it does not come up, its directory is removed and the failure thrown. */
    protected static <T extends ExternalServerProcess> T started(T server) {
        try {
            server.start();
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    public int port() {
        return port;
    }

    public Path dir() {
        return dir;
    }

    public synchronized boolean running() {
        return process != null && process.isAlive();
    }

    /** Starts the server (again) and waits until it answers. */
    public synchronized void start() {
        if (running()) {
            return;
        }
        try {
            List<String> cmd = new java.util.ArrayList<>(prefix);
            cmd.addAll(command());
            process = new ProcessBuilder(cmd)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + command().get(0) + ": " + e.getMessage()
                    + "; install it with: sudo apt-get install " + packageName() + " (or run hack/test.sh)", e);
        }
        Process started = process;
        try {
            org.awaitility.Awaitility.await(command().get(0) + " ready on port " + port)
                    .atMost(READY_TIMEOUT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        if (!started.isAlive()) {
                            throw new IllegalStateException(command().get(0) + " exited with "
                                    + started.exitValue() + "; log: " + log());
                        }
                        return answers();
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new IllegalStateException(e.getMessage() + "; log: " + log(), e);
        }
    }

    private boolean answers() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(bindAddress, port), 500);
            s.setSoTimeout(2000);
            return ready(s);
        } catch (IOException notYet) {
            return false;
        }
    }

    /**
     * Kills the server at once (SIGKILL, as {@code kill -9} or an OOM kill would): it writes nothing more and
     * flushes nothing; what its directory holds is what it had written so far.
     */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        try {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Stops the server (SIGTERM, then SIGKILL after 10 s); data in its directory is kept. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    public void restart() {
        stop();
        start();
    }

    public String log() {
        try {
            String text = Files.readString(dir.resolve("server.log"));
            return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() {
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temp dir; best effort
        }
    }
}
