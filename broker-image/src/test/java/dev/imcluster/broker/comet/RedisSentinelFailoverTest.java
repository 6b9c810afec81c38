package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.FaultInjectionTest.awaitAll;
import static dev.imcluster.broker.comet.FaultInjectionTest.duplicates;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.imcluster.broker.comet.FaultInjectionTest.PushStream;
import dev.imcluster.broker.testinfra.RedisSentinelProcess;
import dev.imcluster.broker.testinfra.RedisServerProcess;
import dev.imcluster.broker.testing.TestSupport;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import io.lettuce.core.sentinel.api.sync.RedisSentinelCommands;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The external-HA path for Redis (docs/KUBERNETES.md, "Redis HA"): three redis-server data nodes (a master and two
 * replicas) and three Sentinels, real processes with passwords on both. Every role finds the master through
 * {@code redis.sentinel}; sessions and the queue (Redis Streams) live there, and a push is acknowledged only once a
 * replica holds it ({@code mq.redis.waitReplicas: 1}). Under a steady stream of room pushes to a client on each
 * comet, the master is SIGKILLed and later a planned failover moves the master again: the roles follow the promoted
 * replica by themselves, every acknowledged push reaches both clients, and sessions made before a failover still
 * route key pushes after it. A push refused meanwhile may have been delivered before its retry: repeats stay within
 * the refusals.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisSentinelFailoverTest {
    private static final String MASTER = "imcluster";
    private static final String DATA_PASSWORD = "data-pass";
    private static final String SENTINEL_PASSWORD = "sentinel-pass";
    private static final Duration FAILOVER = Duration.ofSeconds(60);
    private static final Path LOGS = Path.of("target", "sentinel-logs");

    private final List<RedisServerProcess> nodes = new ArrayList<>();
    private final List<RedisSentinelProcess> sentinels = new ArrayList<>();
    private RedisClient sentinelClient;
    private StatefulRedisSentinelConnection<String, String> sentinelConnection;
    private BackendCluster cluster;
    private GoimClient onA;
    private GoimClient onB;
    private GoimClient keyClient;
    private final List<String> gotKey = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        RedisServerProcess first = RedisServerProcess.launch(DATA_PASSWORD);
        nodes.add(first);
        nodes.add(RedisServerProcess.launchReplicaOf(first));
        nodes.add(RedisServerProcess.launchReplicaOf(first));
        for (int i = 0; i < 3; i++) {
            sentinels.add(new RedisSentinelProcess(first, MASTER, 2, DATA_PASSWORD, SENTINEL_PASSWORD).startedNow());
        }
        RedisURI uri = RedisURI.create("127.0.0.1", sentinels.get(0).port());
        uri.setCredentialsProvider(io.lettuce.core.RedisCredentialsProvider.from(() -> io.lettuce.core.RedisCredentials.just(null, SENTINEL_PASSWORD)));
        sentinelClient = RedisClient.create(uri);
        sentinelConnection = sentinelClient.connectSentinel();
        // Every sentinel knows both replicas and the other two sentinels: a failover can be agreed on.
        await("the sentinels see 2 replicas and each other").atMost(FAILOVER).pollInterval(Duration.ofMillis(200))
                .until(() -> "2".equals(sentinel().master(MASTER).get("num-slaves"))
                        && "2".equals(sentinel().master(MASTER).get("num-other-sentinels")));

        Path secrets = Files.createDirectories(LOGS.toAbsolutePath());
        Path dataPassword = Files.writeString(secrets.resolve("redis-password"), DATA_PASSWORD);
        Path sentinelPassword = Files.writeString(secrets.resolve("sentinel-password"), SENTINEL_PASSWORD);
        cluster = BackendCluster.builder("redis", LOGS)
                .common("mq.redis.address", "") // the queue on the session Redis: the Sentinel-run one
                .common("redis.sentinel.masterName", MASTER)
                .common("redis.sentinel.addresses", sentinels.stream().map(RedisSentinelProcess::address).toList())
                .common("redis.sentinel.passwordFile", sentinelPassword.toString())
                .common("redis.passwordFile", dataPassword.toString())
                .common("mq.redis.waitReplicas", 1)
                .start();
        onA = cluster.client(cluster.cometA(), 1, "ha-a", "live://ha", 1000);
        onB = cluster.client(cluster.cometB(), 2, "ha-b", "live://ha", 1000);
        keyClient = cluster.client(cluster.cometB(), 3, "ha-key", "live://other", 1000);
    }

    @AfterAll
    void stop() {
        TestSupport.closeQuietly(cluster);
        if (sentinelConnection != null) {
            sentinelConnection.close();
            sentinelClient.shutdown();
        }
        Stream.concat(sentinels.stream(), nodes.stream()).forEach(TestSupport::closeQuietly);
    }

    private RedisSentinelCommands<String, String> sentinel() {
        return sentinelConnection.sync();
    }

    private int masterPort() {
        return ((InetSocketAddress) sentinel().getMasterAddrByName(MASTER)).getPort();
    }

    private RedisServerProcess master() {
        int port = masterPort();
        return nodes.stream().filter(n -> n.port() == port).findFirst().orElseThrow();
    }

    @Test
    @Order(1)
    void theMasterKilledUnderTrafficIsReplacedAndNoAcknowledgedPushIsLost() throws Exception {
        RedisServerProcess killed = master();
        underTraffic("kill", () -> {
            killed.kill();
            await("the sentinels promote a replica").atMost(FAILOVER).pollInterval(Duration.ofMillis(100))
                    .until(() -> masterPort() != killed.port());
        });
        keyPushArrives("after-kill");
        // The killed master comes back; the sentinels make it a replica of the new one.
        killed.start();
        await("the old master rejoins as a replica").atMost(FAILOVER).pollInterval(Duration.ofMillis(200))
                .until(() -> killed.commands().info("replication").contains("role:slave")
                        && killed.commands().info("replication").contains("master_link_status:up"));
    }

    @Test
    @Order(2)
    void aPlannedFailoverUnderTrafficLosesNothing() throws Exception {
        int before = masterPort();
        underTraffic("failover", () -> {
            assertThat(sentinel().failover(MASTER)).isEqualTo("OK");
            await("the sentinels move the master").atMost(FAILOVER).pollInterval(Duration.ofMillis(100))
                    .until(() -> masterPort() != before);
        });
        keyPushArrives("after-failover");
    }

    /**
     * Room pushes every 10 ms; {@code failover} runs after 100 are acknowledged; then 100 more must be acknowledged
     * (the roles found the new master), and both clients get every acknowledged push; a repeat only for a refusal.
     */
    private void underTraffic(String label, ThrowingRunnable failover) throws Exception {
        List<String> gotA = new ArrayList<>();
        List<String> gotB = new ArrayList<>();
        try (PushStream stream = new PushStream("sentinel-" + label,
                body -> TestSupport.post(cluster.pushUrl() + "/goim/push/room?operation=1000&type=live&room=ha",
                        body).statusCode(), "")) {
            stream.start(Duration.ofMillis(10));
            stream.awaitAccepted(100);
            failover.run();
            stream.awaitAccepted(stream.acceptedCount() + 100);
            stream.stop();
            awaitAll(onA, gotA, stream.accepted(), "comet A's client");
            awaitAll(onB, gotB, stream.accepted(), "comet B's client");
            // A push refused during the failover (WAIT unmet, or the connection cut by Sentinel after the XADD)
            // may have been delivered all the same; the retry then comes again under another message id. So a
            // repeat can only come from a refused, retried push: never more repeats than refusals.
            assertThat(duplicates(gotA)).as("repeats on comet A").isLessThanOrEqualTo(stream.refused());
            assertThat(duplicates(gotB)).as("repeats on comet B").isLessThanOrEqualTo(stream.refused());
            System.out.printf("[sentinel %s] acknowledged %d, delivered %d and %d (%d and %d repeats), %d refused "
                    + "attempts retried%n", label, stream.acceptedCount(), gotA.size(), gotB.size(), duplicates(gotA),
                    duplicates(gotB), stream.refused());
        }
    }

    /** A session made before the failovers still routes a key push to its client. */
    private void keyPushArrives(String body) throws Exception {
        await("a key push is accepted").atMost(FAILOVER).ignoreExceptions().until(() -> TestSupport.post(
                cluster.pushUrl() + "/goim/push/keys?operation=1000&keys=ha-key", body).statusCode() == 200);
        awaitAll(keyClient, gotKey, List.of(body), "the key's client");
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
