package dev.imcluster.broker.testinfra;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One broker role ({@code comet}, {@code logic} or {@code job}) run as a child JVM from the test classpath, the
 * way a pod runs it: {@code java -cp <classpath> dev.imcluster.broker.Main <role> --config <yaml>} with
 * {@code IMCLUSTER__SERVERID} set. Its listeners get free loopback ports written into the config; its output
 * goes to {@code <logDir>/<serverId>.log}. {@link #kill()} is a SIGKILL (a crashed pod), {@link #stop()} a
 * SIGTERM (graceful shutdown).
 */
public final class BrokerJvm implements AutoCloseable {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Small JVMs so that five of them and the test JVM fit on two shared cores. */
    private static final List<String> JVM_FLAGS = List.of("-Xmx256m", "-Xss512k", "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC", "-Xshare:auto", "-XX:+ExitOnOutOfMemoryError");
    /** The listener ports each role binds (dotted config keys), all given free ports. */
    private static final Map<String, List<String>> PORT_KEYS = Map.of(
            "comet", List.of("comet.tcp.port", "comet.websocket.port", "comet.grpc.port", "comet.pubsubGrpc.port"),
            "logic", List.of("logic.http.port", "logic.grpc.port"),
            "job", List.of());

    private final String role;
    private final String serverId;
    private final Map<String, Object> config;
    private final Path configFile;
    private final Path logFile;
    private final List<String> jvmFlags;
    /** Runs the JVM on a test host ({@code ip netns exec <ns>}); empty on this machine's loopback. */
    private final List<String> prefix;
    private Process process;

    private BrokerJvm(String role, String serverId, Map<String, Object> config, Path logDir, List<String> jvmFlags,
                      TestNetwork.Host host) throws IOException {
        this.role = role;
        this.prefix = host == null ? List.of() : host.exec();
        this.serverId = serverId;
        this.jvmFlags = List.copyOf(jvmFlags);
        this.config = new TreeMap<>(config);
        if (host != null) {
            this.config.put("bindAddress", host.address());
        }
        // A replacement (same port, another loopback address) sets bindAddress and its ports itself.
        this.config.putIfAbsent("bindAddress", "127.0.0.1");
        this.config.put("admin.port", ExternalServerProcess.freePort());
        if (role.equals("comet") || role.equals("standalone")) {
            // Test clients all connect from loopback at once: no per-address connect limit unless a test sets one.
            this.config.putIfAbsent("comet.connectRateLimit.rate", 0);
        }
        for (String key : PORT_KEYS.get(role)) {
            this.config.putIfAbsent(key, ExternalServerProcess.freePort());
        }
        Files.createDirectories(logDir);
        this.configFile = logDir.resolve(serverId + ".yaml");
        this.logFile = logDir.resolve(serverId + ".log");
        Files.deleteIfExists(logFile); // one log per test run; restarts of this JVM append to it
        YAML.writeValue(configFile.toFile(), nested(this.config));
    }

    /**
     * Starts the role without waiting (so several JVMs boot at once); call {@link #awaitReady()} next.
     * {@code config} maps dotted keys ({@code mq.kafka.bootstrapServers}) to values (lists for list keys).
     */
    public static BrokerJvm launch(String role, String serverId, Map<String, Object> config, Path logDir) {
        return launch(role, serverId, config, logDir, List.of());
    }

    /** As {@link #launch(String, String, Map, Path)}, with extra JVM flags (e.g. {@code -Djdk.net.hosts.file}). */
    public static BrokerJvm launch(String role, String serverId, Map<String, Object> config, Path logDir,
                                   List<String> jvmFlags) {
        return launch(role, serverId, config, logDir, jvmFlags, null);
    }

    /** As {@link #launch(String, String, Map, Path)}, on a test host: it binds, and is reached at, its address. */
    public static BrokerJvm launchOn(TestNetwork.Host host, String role, String serverId, Map<String, Object> config,
                                     Path logDir) {
        return launch(role, serverId, config, logDir, List.of(), host);
    }

    private static BrokerJvm launch(String role, String serverId, Map<String, Object> config, Path logDir,
                                    List<String> jvmFlags, TestNetwork.Host host) {
        if (!PORT_KEYS.containsKey(role)) {
            throw new IllegalArgumentException("role must be comet, logic or job, got " + role);
        }
        try {
            BrokerJvm jvm = new BrokerJvm(role, serverId, config, logDir, jvmFlags, host);
            jvm.start();
            return jvm;
        } catch (IOException e) {
            throw new IllegalStateException("cannot launch " + role + " " + serverId + ": " + e, e);
        }
    }

    /** Dotted keys to the nested maps the YAML config has. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> nested(Map<String, Object> dotted) {
        Map<String, Object> root = new LinkedHashMap<>();
        dotted.forEach((key, value) -> {
            Map<String, Object> node = root;
            String[] parts = key.split("\\.");
            for (int i = 0; i < parts.length - 1; i++) {
                node = (Map<String, Object>) node.computeIfAbsent(parts[i], k -> new LinkedHashMap<>());
            }
            node.put(parts[parts.length - 1], value);
        });
        return root;
    }

    /** Starts the JVM (again, after a kill or stop) with the same config, ports and log file. */
    public synchronized void start() throws IOException {
        if (running()) {
            return;
        }
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(JVM_FLAGS);
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.imcluster.broker.Main", role,
                "--config", configFile.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        pb.environment().put("IMCLUSTER__SERVERID", serverId);
        process = pb.start();
    }

    /** Waits until {@code /readyz} answers 200; fails at once, with the log, if the JVM exits. */
    public BrokerJvm awaitReady() {
        try {
            Awaitility.await(serverId + " ready").atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        Process p = process;
                        if (p == null || !p.isAlive()) {
                            throw new IllegalStateException(serverId + " exited" + (p == null ? ""
                                    : " with " + p.exitValue()) + "; log:\n" + logTail());
                        }
                        return readyzStatus() == 200;
                    });
        } catch (ConditionTimeoutException e) {
            throw new IllegalStateException(e.getMessage() + "; /readyz: " + readyz().body() + "; log:\n" + logTail(),
                    e);
        }
        return this;
    }

    public String serverId() {
        return serverId;
    }

    /** The address it binds: loopback, or its test host's. */
    public String address() {
        return (String) config.get("bindAddress");
    }

    /** A port from this JVM's config, e.g. {@code port("comet.tcp.port")}. */
    public int port(String key) {
        Object v = config.get(key);
        if (!(v instanceof Integer port)) {
            throw new IllegalArgumentException(serverId + " has no port " + key);
        }
        return port;
    }

    public int adminPort() {
        return port("admin.port");
    }

    public synchronized boolean running() {
        return process != null && process.isAlive();
    }

    /** SIGKILL, like a crashed pod: nothing is flushed, acknowledged or closed. */
    public synchronized void kill() {
        if (process != null) {
            process.destroyForcibly();
            waitFor(Duration.ofSeconds(30));
            process = null;
        }
    }

    /** SIGTERM, a graceful shutdown (comet drains, job gives back what it holds); SIGKILL if it hangs. */
    public synchronized void stop() {
        if (process != null) {
            process.destroy();
            if (!waitFor(Duration.ofSeconds(60))) {
                process.destroyForcibly();
                waitFor(Duration.ofSeconds(30));
            }
            process = null;
        }
    }

    /** SIGSTOP: the process keeps its sockets (clients stay connected) but answers nothing, as a hung pod. */
    public synchronized void pause() {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    public synchronized void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + name + " " + serverId + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot signal " + serverId + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private boolean waitFor(Duration d) {
        try {
            return process.waitFor(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public HttpResponse<String> readyz() {
        return admin("/readyz");
    }

    private int readyzStatus() {
        try {
            return HTTP.send(request("/readyz"), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1; // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The Prometheus text of {@code /metrics}. */
    public String metrics() {
        return admin("/metrics").body();
    }

    /**
     * The sum of the samples of {@code name} (exact metric name as exported, e.g.
     * {@code imcluster_job_consumed_total}) whose labels contain every one of {@code labels}
     * (e.g. {@code reason="unavailable"}); 0 when there is none.
     */
    public double metric(String name, String... labels) {
        double sum = 0;
        for (String line : metrics().split("\n")) {
            if (line.startsWith("#") || !(line.startsWith(name + "{") || line.startsWith(name + " "))) {
                continue;
            }
            int valueAt = line.lastIndexOf(' ');
            String series = line.substring(0, valueAt);
            boolean all = true;
            for (String label : labels) {
                all &= series.contains(label);
            }
            if (all) {
                sum += Double.parseDouble(line.substring(valueAt + 1));
            }
        }
        return sum;
    }

    private HttpResponse<String> admin(String path) {
        try {
            return HTTP.send(request(path), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(serverId + " admin " + path + " unreachable: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("http://" + address() + ":" + adminPort() + path))
                .timeout(Duration.ofSeconds(10)).GET().build();
    }

    /** The whole log of this JVM (all its runs). */
    public String log() {
        try {
            return Files.readString(logFile);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    public String logTail() {
        String text = log();
        return text.length() > 6000 ? text.substring(text.length() - 6000) : text;
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return role + " " + serverId;
    }
}
