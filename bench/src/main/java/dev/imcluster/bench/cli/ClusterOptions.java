package dev.imcluster.bench.cli;

import dev.imcluster.bench.cluster.BrokerChild;
import dev.imcluster.bench.cluster.BrokerEndpoints;
import dev.imcluster.bench.cluster.PeerServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Which cluster the bench drives: by default one it starts itself (the broker jar as standalone, nats-server and
 * redis-server on free loopback ports), or a running one named by its addresses. Closing stops what was started.
 */
public final class ClusterOptions implements AutoCloseable {
    @Option(names = "--broker-jar", description = "The broker jar to start (default: "
            + "broker-image/target/imcluster-broker.jar here or in the parent directory).")
    Path brokerJar;

    @Option(names = "--baseline-jar", description = "An earlier build's broker jar, for the baseline rows "
            + "(--only baseline): the room and topic rows run on it too, in the same interleaved rounds "
            + "(bench/regression.sh builds one from a git revision).")
    Path baselineJar;

    /**
     * What users get: the JVM flags the operator gives every role (its DeploymentModel), in a container of the
     * production example's comet memory limit (MaxRAM stands in for the cgroup limit, which sizes the heap).
     */
    static final String SHIPPED_JVM_OPTIONS = "-XX:MaxRAM=4g -XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError";

    @Option(names = "--broker-jvm-opts", description = "JVM options of the started broker, space-separated "
            + "(default: ${DEFAULT-VALUE}: the operator's flags in a 4 GiB container, as examples/production.yaml"
            + " gives comet).")
    String brokerJvmOptions = SHIPPED_JVM_OPTIONS;

    @Option(names = "--broker-set", description = "A config key of the started broker, key=value (repeatable), "
            + "e.g. job.roomBatch.maxDelay=1s.")
    List<String> brokerSettings = new ArrayList<>();

    @Option(names = "--external", description = "Drive a running imcluster instead of starting one; give "
            + "--host and the ports.")
    boolean external;

    @Option(names = "--host", description = "Host of the running imcluster (default ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = "--logic-http", description = "logic's HTTP push port (default ${DEFAULT-VALUE}).")
    int logicHttp = 3111;

    @Option(names = "--logic-grpc", description = "logic's gRPC port (default ${DEFAULT-VALUE}).")
    int logicGrpc = 3119;

    @Option(names = "--comet-tcp", description = "comet's goim TCP port (default ${DEFAULT-VALUE}).")
    int cometTcp = 3101;

    @Option(names = "--comet-pubsub", description = "comet's gRPC PubSubService port (default ${DEFAULT-VALUE}).")
    int cometPubSub = 3100;

    @Option(names = "--comet-admin", description = "comet's admin port, /metrics (default ${DEFAULT-VALUE}).")
    int cometAdmin = 8080;

    @Option(names = "--broker-pid", description = "With --external: comet's process id on this machine, for RSS.")
    long brokerPid = -1;

    @Option(names = "--nats", description = "A running nats-server (with -js) as host:port, instead of starting one.")
    String nats;

    @Option(names = "--redis", description = "A running redis-server as host:port, instead of starting one.")
    String redis;

    @Option(names = "--work-dir", description = "Logs and files of started servers (default ${DEFAULT-VALUE}).")
    Path workDir = Path.of("target", "bench-work");

    @Option(names = "--io-threads", description = "The bench's Netty I/O threads (default ${DEFAULT-VALUE}).")
    int ioThreads = 2;

    private static final String BASELINE = "baseline-broker";
    private static final java.util.regex.Pattern UNKNOWN_KEY =
            java.util.regex.Pattern.compile("unknown config key '([A-Za-z0-9_.]+)'");

    private BrokerChild broker;
    private final List<String> baselineLeftOut = new ArrayList<>();
    private final Map<String, BrokerEndpoints> variants = new LinkedHashMap<>();
    private PeerServers.Nats natsServer;
    private PeerServers.Redis redisServer;
    private final List<AutoCloseable> extra = new ArrayList<>();

    /** The imcluster to drive, starting it on first use. */
    public BrokerEndpoints broker() {
        if (external) {
            return new BrokerEndpoints(host, logicHttp, logicGrpc, cometTcp, cometPubSub, cometAdmin, -1, brokerPid,
                    -1);
        }
        if (broker == null) {
            broker = startBroker("broker", List.of());
        }
        return broker.endpoints();
    }

    /**
     * A broker with more config keys than the shared one (a row's variant, e.g. history on), started on first use
     * under {@code name} and kept for the rest of the run; with {@code sessionsInRedis} it keeps sessions (and so
     * history) in the started redis-server, whose CPU then counts as the broker's.
     */
    public BrokerEndpoints variantBroker(String name, Map<String, String> settings, boolean sessionsInRedis) {
        if (external) {
            throw new IllegalArgumentException("the " + name + " row starts a broker of its own; not with --external");
        }
        BrokerEndpoints b = variants.get(name);
        if (b == null) {
            Map<String, String> all = new LinkedHashMap<>(settings);
            long storePid = -1;
            if (sessionsInRedis) {
                String[] redisAt = redisHostPort();
                all.put("logic.sessionStore", "redis");
                all.put("redis.address", redisAt[0] + ":" + redisAt[1]);
                storePid = redisPid();
            }
            b = startBroker(name, List.of(), all).endpoints().withStorePid(storePid);
            variants.put(name, b);
        }
        return b;
    }

    /**
     * The broker of the baseline rows: --baseline-jar with the same JVM options and --broker-set keys. A key the
     * bench writes that the baseline refuses as unknown (it predates the key, e.g. comet.connectRateLimit) is left
     * out and named in {@link #baselineLeftOut()}: the baseline then runs as it shipped.
     */
    public BrokerEndpoints baselineBroker() {
        if (baselineJar == null || !Files.isRegularFile(baselineJar)) {
            throw new IllegalArgumentException("the baseline rows need --baseline-jar=<an existing broker jar>, got "
                    + baselineJar);
        }
        BrokerEndpoints b = variants.get(BASELINE);
        while (b == null) {
            Map<String, String> settings = new LinkedHashMap<>();
            baselineLeftOut.forEach(key -> settings.put(key, null));
            try {
                b = startBroker(BASELINE, List.of(), settings, baselineJar).endpoints();
            } catch (IllegalStateException e) {
                java.util.regex.Matcher unknown = UNKNOWN_KEY.matcher(String.valueOf(e.getMessage()));
                if (!unknown.find() || baselineLeftOut.contains(unknown.group(1)) || baselineLeftOut.size() > 8) {
                    throw e;
                }
                baselineLeftOut.add(unknown.group(1));
            }
        }
        variants.put(BASELINE, b);
        return b;
    }

    /** Config keys the baseline broker refused as unknown, so left out of its file. */
    public List<String> baselineLeftOut() {
        return List.copyOf(baselineLeftOut);
    }

    /** The variant brokers started so far, by name (the shared broker is {@code broker}). */
    public Map<String, BrokerEndpoints> startedBrokers() {
        Map<String, BrokerEndpoints> all = new LinkedHashMap<>();
        if (broker != null) {
            all.put("broker", broker.endpoints());
        }
        all.putAll(variants);
        return all;
    }

    /** A fresh broker child (not shared), e.g. for a memory baseline or a profile; closed with these options. */
    public BrokerChild startBroker(String name, List<String> moreJvmOptions) {
        return startBroker(name, moreJvmOptions, Map.of());
    }

    /** As {@link #startBroker(String, List)}, with more config keys on top of --broker-set. */
    public BrokerChild startBroker(String name, List<String> moreJvmOptions, Map<String, String> moreSettings) {
        return startBroker(name, moreJvmOptions, moreSettings, jar());
    }

    private BrokerChild startBroker(String name, List<String> moreJvmOptions, Map<String, String> moreSettings,
                                    Path jar) {
        List<String> jvm = new ArrayList<>(Arrays.asList(brokerJvmOptions.trim().split("\\s+")));
        jvm.removeIf(String::isEmpty);
        jvm.addAll(moreJvmOptions);
        Map<String, String> settings = new LinkedHashMap<>();
        for (String s : brokerSettings) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--broker-set wants key=value, got '" + s + "'");
            }
            settings.put(s.substring(0, eq), s.substring(eq + 1));
        }
        settings.putAll(moreSettings);
        BrokerChild child = BrokerChild.start(jar, jvm, settings, workDir.resolve(name));
        extra.add(child);
        return child;
    }

    /** Stops the shared broker (the next {@link #broker()} starts a new one). */
    public void stopBroker() {
        if (broker != null) {
            broker.close();
            extra.remove(broker);
            broker = null;
        }
    }

    private Path jar() {
        if (brokerJar != null) {
            return brokerJar;
        }
        Path here = Path.of("broker-image", "target", "imcluster-broker.jar");
        Path parent = Path.of("..", "broker-image", "target", "imcluster-broker.jar");
        return Files.exists(here) || !Files.exists(parent) ? here : parent;
    }

    public String[] natsHostPort() {
        if (nats != null) {
            return split(nats);
        }
        if (natsServer == null) {
            natsServer = PeerServers.Nats.start(workDir.resolve("nats"));
        }
        return new String[] {"127.0.0.1", String.valueOf(natsServer.port)};
    }

    public String[] redisHostPort() {
        if (redis != null) {
            return split(redis);
        }
        if (redisServer == null) {
            redisServer = PeerServers.Redis.start(workDir.resolve("redis"));
        }
        return new String[] {"127.0.0.1", String.valueOf(redisServer.port)};
    }

    /** The started nats-server's process id, -1 for a running one named by --nats (its CPU time is unknown). */
    public long natsPid() {
        natsHostPort();
        return natsServer == null ? -1 : natsServer.pid();
    }

    /** The started redis-server's process id, -1 for a running one named by --redis. */
    public long redisPid() {
        redisHostPort();
        return redisServer == null ? -1 : redisServer.pid();
    }

    private static String[] split(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected host:port, got '" + hostPort + "'");
        }
        return new String[] {hostPort.substring(0, colon), hostPort.substring(colon + 1)};
    }

    public int ioThreads() {
        return ioThreads;
    }

    public Path workDir() {
        return workDir;
    }

    @Override
    public void close() {
        for (AutoCloseable c : extra) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("stopping " + c + ": " + e);
            }
        }
        extra.clear();
        variants.clear();
        broker = null;
        if (natsServer != null) {
            natsServer.close();
        }
        if (redisServer != null) {
            redisServer.close();
        }
    }
}
