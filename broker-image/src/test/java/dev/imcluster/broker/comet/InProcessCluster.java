package dev.imcluster.broker.comet;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.history.HistoryStore;
import dev.imcluster.broker.job.JobRole;
import dev.imcluster.broker.logic.LogicRole;
import dev.imcluster.broker.mq.memory.InMemoryBus;
import dev.imcluster.broker.runtime.RoleContext;
import dev.imcluster.broker.session.memory.InMemorySessionStore;
import dev.imcluster.broker.testing.TestSupport;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * logic, comet(s) and one job as in-process roles on loopback (free ports) over the in-memory queue, with one
 * session store and one history store for all of them (logic reads what job appends). The role-level end-to-end
 * tests share it; the clients and channels made through it are closed with it.
 */
final class InProcessCluster implements AutoCloseable {

    /** Each role's config, made anew for each role (it may write files, so it may throw). */
    interface ConfigSource {
        BrokerConfig get() throws Exception;
    }

    final InMemoryBus bus = new InMemoryBus(new SimpleMeterRegistry());
    final InMemorySessionStore sessions = TestSupport.sessions();
    final HistoryStore history = TestSupport.history();
    /** Closed first to last: clients and channels (the latest first), then job, the comets and logic. */
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<AutoCloseable> roles = new ArrayList<>();
    private final List<CometRole> comets = new ArrayList<>();
    private final List<RoleContext> cometContexts = new ArrayList<>();
    private LogicRole logic;
    private RoleContext logicContext;

    private InProcessCluster() {
    }

    static Builder builder(ConfigSource config) {
        return new Builder(config);
    }

    static final class Builder {
        private final ConfigSource config;
        private List<String> cometIds = List.of("comet-a");
        private Consumer<BrokerConfig> cometTweak = c -> { };
        private Consumer<BrokerConfig> jobTweak = c -> { };

        private Builder(ConfigSource config) {
            this.config = config;
        }

        Builder comets(String... serverIds) {
            cometIds = List.of(serverIds);
            return this;
        }

        /** Settings of the comets only. */
        Builder comet(Consumer<BrokerConfig> tweak) {
            cometTweak = tweak;
            return this;
        }

        /** Settings of the job only. */
        Builder job(Consumer<BrokerConfig> tweak) {
            jobTweak = tweak;
            return this;
        }

        InProcessCluster start() throws Exception {
            InProcessCluster cluster = new InProcessCluster();
            try {
                cluster.start(this);
            } catch (Exception | Error e) {
                cluster.close();
                throw e;
            }
            return cluster;
        }
    }

    private void start(Builder b) throws Exception {
        logicContext = TestSupport.context(b.config.get(), "logic-1", bus, sessions, history);
        logic = new LogicRole(logicContext);
        logic.start();
        roles.add(0, logic);
        List<String> addresses = new ArrayList<>();
        for (String id : b.cometIds) {
            BrokerConfig config = b.config.get();
            config.comet.logicAddress = "127.0.0.1:" + logic.grpcPort();
            config.comet.onlineReportInterval = Duration.ofMillis(200); // presence and readiness follow soon
            config.comet.drainTimeout = Duration.ofSeconds(2); // a test's end does not wait for clients
            b.cometTweak.accept(config);
            RoleContext context = TestSupport.context(config, id, null, null, null);
            CometRole comet = new CometRole(context);
            comet.start();
            roles.add(0, comet);
            comets.add(comet);
            cometContexts.add(context);
            addresses.add(id + "=127.0.0.1:" + comet.grpcPort());
        }
        BrokerConfig jobConfig = b.config.get();
        jobConfig.job.comets.addresses = addresses;
        b.jobTweak.accept(jobConfig);
        JobRole job = new JobRole(TestSupport.context(jobConfig, "job-1", bus, null, history));
        job.start();
        roles.add(0, job);
    }

    LogicRole logic() {
        return logic;
    }

    RoleContext logicContext() {
        return logicContext;
    }

    /** Where logic's push API answers. */
    String pushUrl() {
        return "http://127.0.0.1:" + logic.httpPort();
    }

    CometRole comet(int i) {
        return comets.get(i);
    }

    RoleContext cometContext(int i) {
        return cometContexts.get(i);
    }

    /** A counter of logic's (0 while it was never incremented). */
    double logicCounter(String name, String... tags) {
        return count(logicContext.meters(), name, tags);
    }

    /** A counter of the first comet's (0 while it was never incremented). */
    double cometCounter(String name, String... tags) {
        return count(cometContexts.get(0).meters(), name, tags);
    }

    private static double count(MeterRegistry meters, String name, String... tags) {
        Counter c = meters.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    /** A plaintext gRPC channel to a role's port on loopback. */
    ManagedChannel channel(int port) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        closeAtEnd(channel::shutdownNow);
        return channel;
    }

    /** A goim client of {@code comet} over {@code transport}, authenticated with {@code authJson}. */
    GoimClient goim(Transport transport, CometRole comet, String authJson) {
        return connect(transport, comet).auth(authJson);
    }

    /** A goim client of {@code comet} over {@code transport}, not yet authenticated. */
    GoimClient connect(Transport transport, CometRole comet) {
        return closeAtEnd(GoimClient.connect(transport, transport == Transport.TCP ? comet.tcpPort()
                : comet.websocketPort()));
    }

    /** Closed (before the roles stop) with the cluster, the latest first. */
    <T extends AutoCloseable> T closeAtEnd(T closeable) {
        closeables.add(0, closeable);
        return closeable;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        for (AutoCloseable role : roles) {
            role.close();
        }
        bus.close();
    }
}
