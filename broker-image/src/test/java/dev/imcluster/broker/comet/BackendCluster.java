package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;

import dev.imcluster.broker.testinfra.BrokerJvm;
import dev.imcluster.broker.testinfra.KafkaServerProcess;
import dev.imcluster.broker.testinfra.MosquittoServerProcess;
import dev.imcluster.broker.testinfra.NatsServerProcess;
import dev.imcluster.broker.testinfra.QueueServer;
import dev.imcluster.broker.testinfra.RedisServerProcess;
import dev.imcluster.broker.testinfra.TestNetwork.Host;
import dev.imcluster.broker.testing.TestSupport;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * logic, comets A and B and job(s), each a child JVM started as a pod would run it ({@link BrokerJvm}), over one
 * backend's queue server ({@link QueueServer}) and a Redis session store of their own (so the store can fail
 * alone). The end-to-end, fault and delivery tests share it; each keeps only its scenarios. Clients and channels
 * made through it are closed with it. On test hosts ({@link Hosts}), each role runs on its own, and the stores on
 * one more: the session store's redis-server, which is the queue too on redis, and beside it nats-server, the Kafka
 * node or Mosquitto on the other backends.
 */
final class BackendCluster implements AutoCloseable {

    /**
     * A test host per role, and one for the stores: the session store's redis-server, which is the queue too on
     * redis, and beside it nats-server, the Kafka node or Mosquitto on the other backends.
     */
    record Hosts(Host store, Host logic, Host cometA, Host cometB, Host job) {
    }

    /**
     * The scenarios of one test over every backend: a nested class per backend, named after it, extends this; its
     * processes live for the whole nested class and its methods run in order (the ones that break something last).
     */
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    abstract static class PerBackend {
        /** kafka, nats or redis: the nested class's name. */
        final String backend() {
            return getClass().getSimpleName().toLowerCase(Locale.ROOT);
        }

        /** False when {@code -D<property>} names another backend (a quicker run by hand). */
        final boolean selectedBy(String property) {
            String only = System.getProperty(property, "");
            return only.isEmpty() || backend().equals(only);
        }
    }

    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
    private final List<QueueServer> queues = new CopyOnWriteArrayList<>();
    private final List<BrokerJvm> launched = new CopyOnWriteArrayList<>();
    private final String backend;
    private final Path logs;
    private final Map<String, Map<String, Object>> configs = new HashMap<>();
    private RedisServerProcess sessionRedis;
    private volatile BrokerJvm logic; // push streams read it while a test replaces it
    private BrokerJvm cometA;
    private BrokerJvm cometB;
    private final List<BrokerJvm> jobs = new ArrayList<>();

    private BackendCluster(String backend, Path logs) {
        this.backend = backend;
        this.logs = logs.resolve(backend);
    }

    static Builder builder(String backend, Path logs) {
        return new Builder(backend, logs);
    }

    /** Settings on top of the shared ones: for every role, or for one role only. */
    static final class Builder {
        private final String backend;
        private final Path logs;
        private final Map<String, Object> common = new HashMap<>();
        private final Map<String, Map<String, Object>> byRole = Map.of("logic", new HashMap<>(),
                "comet", new HashMap<>(), "job", new HashMap<>());
        private List<String> cometJvmFlags = List.of();
        private String logicHostName;
        private int jobs = 1;
        private Hosts hosts;

        private Builder(String backend, Path logs) {
            this.backend = backend;
            this.logs = logs;
        }

        Builder common(String key, Object value) {
            common.put(key, value);
            return this;
        }

        /** A setting of one role: logic, comet or job. */
        Builder role(String role, String key, Object value) {
            byRole.get(role).put(key, value);
            return this;
        }

        /** The comets reach logic by this name (resolved through their JVM flags, say), not by its address. */
        Builder cometsReachLogicAs(String hostName, List<String> jvmFlags) {
            this.logicHostName = hostName;
            this.cometJvmFlags = List.copyOf(jvmFlags);
            return this;
        }

        Builder jobs(int count) {
            this.jobs = count;
            return this;
        }

        /** Each role on its test host, the queue on the store host: Redis Streams, JetStream, Kafka or Mosquitto. */
        Builder onHosts(Hosts hosts) {
            if (!List.of("redis", "nats", "kafka", "mqtt").contains(backend)) {
                throw new IllegalArgumentException("on test hosts the queue is redis, nats, kafka or mqtt, not "
                        + backend);
            }
            this.hosts = hosts;
            return this;
        }

        /** Starts the queue, the session store and every role, and waits until all are ready. */
        BackendCluster start() {
            BackendCluster cluster = new BackendCluster(backend, logs);
            try {
                cluster.start(this);
            } catch (RuntimeException | Error e) {
                cluster.close();
                throw e;
            }
            return cluster;
        }
    }

    private void start(Builder b) {
        Hosts hosts = b.hosts;
        if (hosts == null) {
            queues.add(QueueServer.launch(backend));
            sessionRedis = RedisServerProcess.launch();
        } else {
            sessionRedis = RedisServerProcess.launchOn(hosts.store());
            queues.add(switch (backend) {
                case "nats" -> QueueServer.jetStream(NatsServerProcess.launchOn(hosts.store()));
                case "kafka" -> QueueServer.kafka(KafkaServerProcess.launchOn(hosts.store()));
                case "mqtt" -> QueueServer.mqtt(MosquittoServerProcess.launchOn(hosts.store()));
                default -> QueueServer.redisStreams(sessionRedis);
            });
        }
        QueueServer queue = queues.get(0);
        Map<String, Object> common = new HashMap<>(queue.config());
        common.put("redis.address", sessionRedis.address());
        common.put("redis.commandTimeout", "2s");
        common.put("mq.publishTimeout", "3s");
        common.put("mq.retryBackoffMax", "1s");
        common.putAll(b.common);

        Map<String, Object> logicConfig = new HashMap<>(common);
        logicConfig.put("logic.sessionStore", "redis");
        logicConfig.put("logic.auth.mode", "goim");
        logicConfig.putAll(b.byRole.get("logic"));
        configs.put("logic", logicConfig);
        logic = track(launch("logic", backend + "-logic", logicConfig, List.of(), hosts == null ? null
                : hosts.logic()));

        Map<String, Object> cometConfig = new HashMap<>(common);
        cometConfig.put("comet.logicAddress", (b.logicHostName == null ? logic.address() : b.logicHostName) + ":"
                + logic.port("logic.grpc.port"));
        cometConfig.put("comet.drainTimeout", "1s");
        cometConfig.putAll(b.byRole.get("comet"));
        configs.put("comet", cometConfig);
        cometA = track(launch("comet", backend + "-comet-a", cometConfig, b.cometJvmFlags,
                hosts == null ? null : hosts.cometA()));
        cometB = track(launch("comet", backend + "-comet-b", cometConfig, b.cometJvmFlags,
                hosts == null ? null : hosts.cometB()));

        Map<String, Object> jobConfig = new HashMap<>(common);
        jobConfig.put("job.roomBatch.maxDelay", "20ms");
        jobConfig.put("job.comets.addresses", Stream.of(cometA, cometB)
                .map(c -> c.serverId() + "=" + c.address() + ":" + c.port("comet.grpc.port")).toList());
        jobConfig.putAll(b.byRole.get("job"));
        configs.put("job", jobConfig);
        for (int i = 1; i <= b.jobs; i++) {
            jobs.add(track(launch("job", backend + "-job" + (b.jobs == 1 ? "" : "-" + i), jobConfig, List.of(),
                    hosts == null ? null : hosts.job())));
        }
        Stream.concat(Stream.of(logic, cometA, cometB), jobs.stream()).forEach(BrokerJvm::awaitReady);
    }

    private BrokerJvm launch(String role, String serverId, Map<String, Object> config, List<String> jvmFlags,
                             Host host) {
        return host == null ? BrokerJvm.launch(role, serverId, config, logs, jvmFlags)
                : BrokerJvm.launchOn(host, role, serverId, config, logs);
    }

    private BrokerJvm track(BrokerJvm jvm) {
        launched.add(jvm);
        return jvm;
    }

    /**
     * Starts (without waiting) another JVM of {@code role} with this cluster's settings for it plus
     * {@code overrides}: a replacement, say; stopped with the cluster.
     */
    BrokerJvm launch(String role, String serverId, Map<String, Object> overrides) {
        Map<String, Object> config = new HashMap<>(configs.get(role));
        config.putAll(overrides);
        return track(launch(role, serverId, config, List.of(), null));
    }

    /** Another backend's queue server, closed with the cluster. */
    QueueServer launchQueue(String otherBackend) {
        QueueServer queue = QueueServer.launch(otherBackend);
        queues.add(queue);
        return queue;
    }

    String backend() {
        return backend;
    }

    Path logs() {
        return logs;
    }

    RedisServerProcess sessionRedis() {
        return sessionRedis;
    }

    /** The queue server the cluster started on. */
    QueueServer queue() {
        return queues.get(0);
    }

    BrokerJvm logic() {
        return logic;
    }

    /** From now on, {@code replacement} is logic (the old one is the caller's to stop or kill). */
    void replaceLogic(BrokerJvm replacement) {
        logic = replacement;
    }

    BrokerJvm cometA() {
        return cometA;
    }

    BrokerJvm cometB() {
        return cometB;
    }

    /** The first job (the only one, unless the builder asked for more). */
    BrokerJvm job() {
        return jobs.get(0);
    }

    /** From now on, {@code replacement} is the first job (the old one is the caller's to stop or kill). */
    void replaceJob(BrokerJvm replacement) {
        jobs.set(0, replacement);
    }

    /** Every job JVM started at the start, running or not. */
    List<BrokerJvm> jobs() {
        return List.copyOf(jobs);
    }

    /** Where logic's push API answers. */
    String pushUrl() {
        return "http://" + logic.address() + ":" + logic.port("logic.http.port");
    }

    /** A goim TCP client of {@code comet}, authenticated in {@code room} with these operations accepted. */
    GoimClient client(BrokerJvm comet, long mid, String key, String room, int... accepts) {
        return connect(comet).auth(auth(mid, key, room, accepts));
    }

    /** A goim TCP client of {@code comet}, not yet authenticated. */
    GoimClient connect(BrokerJvm comet) {
        return closeAtEnd(GoimClient.connect(comet.address(), comet.port("comet.tcp.port")));
    }

    /** A plaintext gRPC channel to {@code jvm}'s {@code portKey} (large messages allowed, for replays). */
    ManagedChannel channel(BrokerJvm jvm, String portKey) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress(jvm.address(), jvm.port(portKey)).usePlaintext()
                .maxInboundMessageSize(16 << 20).build();
        closeAtEnd(channel::shutdownNow);
        return channel;
    }

    /** Closed (before the processes stop) with the cluster, the latest first. */
    <T extends AutoCloseable> T closeAtEnd(T closeable) {
        closeables.add(0, closeable);
        return closeable;
    }

    /** Clients first, then the comets (they drain their clients), logic and the jobs, as a rollout would. */
    @Override
    public void close() {
        closeables.forEach(TestSupport::closeQuietly);
        Stream.concat(Stream.of(cometA, cometB), launched.stream()).filter(j -> j != null).distinct()
                .forEach(BrokerJvm::stop);
        TestSupport.closeQuietly(sessionRedis); // on test hosts the queue too: closing it again does nothing
        queues.forEach(TestSupport::closeQuietly);
    }
}
