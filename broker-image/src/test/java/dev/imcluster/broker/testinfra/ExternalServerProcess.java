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
    private Process process;

    protected ExternalServerProcess(String name) {
        try {
            this.dir = Files.createTempDirectory("imcluster-" + name + "-");
            this.port = freePort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A port that was free a moment ago (bind 0 and read it back). */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    protected abstract List<String> command();

    /** True once the server answers on its port. */
    protected abstract boolean ready(Socket socket) throws IOException;

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
            process = new ProcessBuilder(command())
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()))
                    .start();
        } catch (IOException e) {
            // The binaries are named as their Debian packages.
            throw new IllegalStateException("cannot start " + command().get(0) + ": " + e.getMessage()
                    + "; install it with: sudo apt-get install " + command().get(0) + " (or run hack/test.sh)", e);
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
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            s.setSoTimeout(2000);
            return ready(s);
        } catch (IOException notYet) {
            return false;
        }
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
