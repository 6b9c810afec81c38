package dev.imcluster.bench.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** A server the bench started (broker, nats-server, redis-server), logging to a file, stopped on close. */
public class ChildProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;

    protected ChildProcess(String name, List<String> command, Map<String, String> env, Path logDir) {
        this.name = name;
        try {
            Files.createDirectories(logDir);
            this.log = logDir.resolve(name + ".log");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
            pb.environment().putAll(env);
            this.process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " (" + command.get(0) + "): " + e.getMessage(), e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    /** Waits until {@code ready} holds, failing early (with the log's tail) if the process exits. */
    protected void awaitReady(BooleanSupplier ready, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; log "
                        + log + ":\n" + tail());
            }
            if (ready.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + name, e);
            }
        }
        throw new IllegalStateException(name + " not ready after " + timeout.toSeconds() + " s; log " + log
                + ":\n" + tail());
    }

    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Ports below the kernel's ephemeral range, so the bench's own client connections never hold them. */
    private static final int PORT_FROM = 20_000;
    private static final int PORT_TO = 32_000;
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** A port free right now on every address, never handed out before by this JVM. */
    public static int freePort() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 1000; attempt++) {
            int port = random.nextInt(PORT_FROM, PORT_TO);
            if (HANDED_OUT.contains(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port)) {
                if (s.getLocalPort() == port && HANDED_OUT.add(port)) {
                    return port;
                }
            } catch (IOException inUse) {
                // try another
            }
        }
        throw new IllegalStateException("no free port found in " + PORT_FROM + ".." + PORT_TO);
    }

    static boolean canConnect(int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
