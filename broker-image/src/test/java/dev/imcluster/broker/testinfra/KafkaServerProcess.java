package dev.imcluster.broker.testinfra;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real KRaft Kafka node (broker and controller in one process) run as a child JVM from the test classpath, the
 * way {@code kafka-server-start.sh} runs it: {@code kafka.Kafka server.properties}, after {@code kafka-storage format}.
 * Unlike the in-JVM {@link KafkaCluster}, it binds any address (a test host's, for partitions) and has a process of
 * its own to SIGKILL. A stop is SIGTERM (a controlled shutdown), and a start comes back on the same ports and log
 * directory.
 *
 * <p>{@link #launchTls} gives it an SSL client listener that requires a client certificate of the given CA (PEM
 * stores); the controller and the broker's own listener stay PLAINTEXT, on ports of their own.
 */
public final class KafkaServerProcess extends ExternalServerProcess {
    private static final Duration BROKER_READY = Duration.ofSeconds(60);
    private final int controllerPort;
    /** The PLAINTEXT listener the broker talks to itself on, and {@link #start} checks: {@link #port} without TLS. */
    private final int internalPort;
    private final Tls tls;
    private final Path properties;

    /** PEM: the server's certificate chain, its PKCS#8 key, and the CAs whose client certificates it accepts. */
    private record Tls(String certChain, String key, String clientCas) {
    }

    private KafkaServerProcess(TestNetwork.Host host, Tls tls) {
        super("kafka", host);
        this.tls = tls;
        try {
            this.controllerPort = freePort();
            this.internalPort = tls == null ? port : freePort();
            this.properties = dir.resolve("server.properties");
            Files.writeString(properties, serverProperties());
            format();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** On loopback. */
    public static KafkaServerProcess launch() {
        return started(new KafkaServerProcess(null, null));
    }

    /**
     * On loopback, with an SSL client listener ({@code ssl.client.auth=required}) serving {@code certFile} and
     * {@code keyFile} (PKCS#8) and trusting client certificates of {@code caFile}, all PEM files.
     */
    public static KafkaServerProcess launchTls(String certFile, String keyFile, String caFile) {
        try {
            return started(new KafkaServerProcess(null, new Tls(Files.readString(Path.of(certFile)),
                    Files.readString(Path.of(keyFile)), Files.readString(Path.of(caFile)))));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** On a test host, at its address. */
    public static KafkaServerProcess launchOn(TestNetwork.Host host) {
        return started(new KafkaServerProcess(host, null));
    }

    /** host:port of the client listener (SSL with {@link #launchTls}), as {@code mq.kafka.bootstrapServers}. */
    public String bootstrapServers() {
        return bindAddress + ":" + port;
    }

    private String serverProperties() {
        // Short group timeouts and one partition per internal topic keep a single-node test cluster quick; a flush
        // per message is not needed for a SIGKILL (the page cache survives the process), only for a machine crash.
        Map<String, String> p = new java.util.TreeMap<>(Map.ofEntries(
                Map.entry("process.roles", "broker,controller"),
                Map.entry("node.id", "1"),
                Map.entry("controller.quorum.voters", "1@" + bindAddress + ":" + controllerPort),
                Map.entry("listeners", "PLAINTEXT://" + bindAddress + ":" + port + ",CONTROLLER://" + bindAddress
                        + ":" + controllerPort),
                Map.entry("advertised.listeners", "PLAINTEXT://" + bindAddress + ":" + port),
                Map.entry("controller.listener.names", "CONTROLLER"),
                Map.entry("inter.broker.listener.name", "PLAINTEXT"),
                Map.entry("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"),
                Map.entry("log.dirs", dir.resolve("data").toString()),
                Map.entry("offsets.topic.replication.factor", "1"),
                Map.entry("offsets.topic.num.partitions", "4"),
                Map.entry("transaction.state.log.replication.factor", "1"),
                Map.entry("transaction.state.log.min.isr", "1"),
                Map.entry("share.coordinator.state.topic.replication.factor", "1"),
                Map.entry("share.coordinator.state.topic.min.isr", "1"),
                Map.entry("group.initial.rebalance.delay.ms", "0"),
                Map.entry("num.network.threads", "2"),
                Map.entry("num.io.threads", "2")));
        if (tls != null) {
            // Clients on SSL (SSL://, port); the broker's own traffic on INTERNAL, PLAINTEXT.
            p.put("listeners", "SSL://" + bindAddress + ":" + port + ",INTERNAL://" + bindAddress + ":" + internalPort
                    + ",CONTROLLER://" + bindAddress + ":" + controllerPort);
            p.put("advertised.listeners", "SSL://" + bindAddress + ":" + port + ",INTERNAL://" + bindAddress + ":"
                    + internalPort);
            p.put("inter.broker.listener.name", "INTERNAL");
            p.put("listener.security.protocol.map", "SSL:SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
            p.put("ssl.client.auth", "required");
            p.put("ssl.keystore.type", "PEM");
            p.put("ssl.keystore.certificate.chain", tls.certChain());
            p.put("ssl.keystore.key", tls.key());
            p.put("ssl.truststore.type", "PEM");
            p.put("ssl.truststore.certificates", tls.clientCas());
        }
        StringBuilder text = new StringBuilder();
        // A PEM value spans lines: java.util.Properties reads "\n" back as a line break.
        p.forEach((k, v) -> text.append(k).append('=').append(v.strip().replace("\n", "\\n")).append('\n'));
        return text.toString();
    }

    private List<String> java(String mainClass, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
                "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** {@code kafka-storage format}: the log directory gets the cluster id and the node's meta.properties. */
    private void format() throws IOException {
        Process p = new ProcessBuilder(java("kafka.tools.StorageTool", "format", "-t",
                Uuid.randomUuid().toString(), "-c", properties.toString()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("format.log").toFile()))
                .start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("kafka-storage format failed: "
                        + Files.readString(dir.resolve("format.log")));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    protected List<String> command() {
        return java("kafka.Kafka", properties.toString());
    }

    @Override
    protected String packageName() {
        return "openjdk-17-jdk-headless"; // the node is this JVM's java, on the test classpath (Kafka's jars)
    }

    /** The port accepts; {@link #start} then waits until the broker answers metadata requests. */
    @Override
    protected boolean ready(Socket socket) {
        return true;
    }

    /** Starts the node (again) and waits until the broker is registered and serves requests. */
    @Override
    public synchronized void start() {
        super.start();
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bindAddress + ":" + internalPort);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        try (Admin admin = Admin.create(p)) {
            org.awaitility.Awaitility.await("kafka broker at " + bindAddress + ":" + internalPort + " serves requests")
                    .atMost(BROKER_READY).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new IllegalStateException(e.getMessage() + "; log: " + log(), e);
        }
    }
}
