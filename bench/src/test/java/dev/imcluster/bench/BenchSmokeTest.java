package dev.imcluster.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.bench.cluster.BrokerChild;
import dev.imcluster.bench.cluster.BrokerEndpoints;
import dev.imcluster.bench.cluster.PeerServers;
import dev.imcluster.bench.core.Result;
import dev.imcluster.bench.core.Workload;
import dev.imcluster.bench.net.ClientLoop;
import dev.imcluster.bench.run.Endurance;
import dev.imcluster.bench.run.Scenarios;
import dev.imcluster.bench.run.Soak;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every scenario, briefly, against a real standalone broker child, nats-server and redis-server: each delivers
 * and reports no errors and no drops (the comparison method's machinery is in {@link BenchMethodTest}). Figures are
 * not asserted (they belong in docs/BENCHMARKS.md).
 */
class BenchSmokeTest {
    @TempDir
    static Path dir;

    static BrokerChild broker;
    static PeerServers.Nats nats;
    static PeerServers.Redis redis;
    static ClientLoop loop;
    static Scenarios scenarios;

    @BeforeAll
    static void start() {
        Path jar = Path.of(System.getProperty("imcluster.brokerJar", "../broker-image/target/imcluster-broker.jar"));
        // comet's MQTT listener on too, for the room-mqtt row's scenario; the goim rows do not see it.
        broker = BrokerChild.start(jar, List.of("-Xmx256m"), java.util.Map.of(BrokerChild.MQTT_ENABLED, "true"),
                dir.resolve("broker"));
        nats = PeerServers.Nats.start(dir.resolve("nats"));
        redis = PeerServers.Redis.start(dir.resolve("redis"));
        loop = new ClientLoop(1);
        scenarios = new Scenarios(loop, System.err);
    }

    @AfterAll
    static void stop() {
        if (loop != null) {
            loop.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {broker, nats, redis}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    static Workload small() {
        Workload w = new Workload();
        w.publishers = 1;
        w.subscribers = 20;
        w.rooms = 2;
        w.size = 64;
        w.warmup = 0.5;
        w.duration = 1.5;
        w.rate = 200;
        return w;
    }

    static void assertDelivered(Result r) {
        assertThat(r.errors()).as("errors of %s", r).isZero();
        assertThat(r.sent()).as("sent by %s", r).isPositive();
        assertThat(r.delivered()).as("delivered by %s", r).isPositive();
        assertThat(r.drops()).as("drops of %s", r).isZero();
        assertThat(r.p50Ms()).isPositive();
    }

    @Test
    void roomOverGrpcAndHttp() throws Exception {
        BrokerEndpoints b = broker.endpoints();
        Result grpc = scenarios.room(b, small(), Scenarios.Via.grpc);
        assertDelivered(grpc);
        assertThat(grpc.serverCpuSeconds()).as("broker CPU over the window").isPositive();
        Workload max = small();
        max.rate = 0; // as fast as flow control allows
        assertDelivered(scenarios.room(b, max, Scenarios.Via.http));
    }

    @Test
    void roomToMqttSubscribers() throws Exception {
        BrokerEndpoints b = broker.endpoints();
        assertThat(b.cometMqtt()).as("comet's MQTT port").isPositive();
        assertDelivered(scenarios.roomMqtt(b, small()));
    }

    @Test
    void topicOverGrpc() throws Exception {
        assertDelivered(scenarios.topic(broker.endpoints(), small()));
    }

    @Test
    void pushByKey() throws Exception {
        assertDelivered(scenarios.key(broker.endpoints(), small()));
    }

    @Test
    void peers() throws Exception {
        assertDelivered(scenarios.peer(Scenarios.Peer.nats, "127.0.0.1", nats.port, nats.pid(), small()));
        assertDelivered(scenarios.peer(Scenarios.Peer.jetstream, "127.0.0.1", nats.port, nats.pid(), small()));
        Result redisRun = scenarios.peer(Scenarios.Peer.redis, "127.0.0.1", redis.port, redis.pid(), small());
        assertDelivered(redisRun);
        assertThat(redisRun.serverCpuSeconds()).as("redis-server CPU over the window").isGreaterThanOrEqualTo(0);
        assertThat(redisRun.benchCpuSeconds()).as("bench CPU over the window").isPositive();
    }

    @Test
    void soakHoldsIdleConnectionsAndSamplesMemory() throws Exception {
        List<Soak.Step> steps = new Soak(loop, System.err).run(broker.endpoints(), new int[] {30, 60},
                Duration.ofMillis(200), Duration.ofSeconds(1));
        assertThat(steps).hasSize(2);
        Soak.Step last = steps.get(1);
        assertThat(last.cometConnections()).isGreaterThanOrEqualTo(60);
        assertThat(last.disconnected()).isZero();
        assertThat(last.heartbeatReplies()).isPositive();
        assertThat(last.memory().heapUsed()).isPositive();
        assertThat(last.memory().rss()).isPositive();
    }

    /** The endurance soak in one minute (the 30-minute run and its figures are in docs/SOAK.md). */
    @Test
    void enduranceSmokeStaysWithinItsBounds() throws Exception {
        Endurance.Plan plan = new Endurance.Plan(200, 10, Duration.ofSeconds(1), 100, 64, Duration.ofSeconds(2),
                0.05, Duration.ofSeconds(50), Duration.ofSeconds(10), Duration.ofSeconds(10),
                Endurance.Bounds.defaults());
        Endurance.Report report = new Endurance(loop, System.err).run(broker.endpoints(), plan);
        System.err.print(Endurance.markdown(report));
        assertThat(report.failures()).isEmpty();
        assertThat(report.samples()).hasSizeGreaterThanOrEqualTo(4);
        assertThat(report.samples().get(report.samples().size() - 1).churned()).isPositive();
        assertThat(report.leakedConnections()).isZero();
    }
}
