package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static dev.imcluster.broker.comet.FaultInjectionTest.awaitAll;
import static dev.imcluster.broker.comet.FaultInjectionTest.duplicates;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.imcluster.broker.testinfra.BrokerJvm;
import dev.imcluster.broker.testinfra.RedisServerProcess;
import dev.imcluster.broker.testinfra.TestNetwork;
import dev.imcluster.broker.testinfra.TestNetwork.Host;
import dev.imcluster.broker.testing.TestSupport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Network partitions between the roles (issue 19). Each role runs on a test host of its own, a network namespace
 * on a private bridge ({@link TestNetwork}, 10.213.0.0/24, no route off the machine): redis-server (queue, Redis
 * Streams, and session store), logic, comets A and B, and job. The test JVM is on the bridge, pushing through
 * logic and holding one goim client per comet. Each case cuts one link silently (packets lost, as a broken cable
 * or a partitioned switch), checks that the fault shows while it lasts, heals it, and asserts that every push logic
 * accepted reaches both clients, once. Comet B is never cut: it shows that a fault on A's links holds nothing back
 * from the others.
 *
 * <p>Needs root (CAP_NET_ADMIN) and iproute2: it fails in CI ({@code CI=true}) without them, and is skipped
 * elsewhere, saying why.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PartitionTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Path LOGS = Path.of("target", "partition-logs");
    /** Pushes accepted while a cut is held once its fault shows (some seconds, well below unreachableHold). */
    private static final int HELD = 500;

    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
    private TestNetwork net;
    private Host storeHost;
    private Host logicHost;
    private Host cometAHost;
    private Host jobHost;
    private RedisServerProcess redis;
    private BrokerJvm logic;
    private BrokerJvm cometA;
    private BrokerJvm cometB;
    private BrokerJvm job;
    private String push;

    @BeforeAll
    void startCluster() {
        try {
            net = TestNetwork.create();
            storeHost = net.host("store");
        } catch (TestNetwork.Unavailable e) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("PartitionTest needs test hosts in network namespaces: " + e.getMessage());
            }
            Assumptions.abort("no network namespaces here (" + e.getMessage() + "): skipping the partition tests");
        }
        logicHost = net.host("logic");
        cometAHost = net.host("comet-a");
        Host cometBHost = net.host("comet-b");
        jobHost = net.host("job");
        redis = RedisServerProcess.launchOn(storeHost);

        Map<String, Object> common = new HashMap<>();
        common.put("mq.backend", "redis");
        common.put("mq.redis.address", redis.address());
        common.put("mq.redis.claimIdle", "4s");
        common.put("redis.address", redis.address());
        common.put("redis.commandTimeout", "2s");
        common.put("mq.publishTimeout", "3s");
        common.put("mq.retryBackoffMax", "1s");

        Map<String, Object> logicConfig = new HashMap<>(common);
        logicConfig.put("logic.sessionStore", "redis");
        logicConfig.put("logic.auth.mode", "goim");
        logic = BrokerJvm.launchOn(logicHost, "logic", "partition-logic", logicConfig, LOGS);

        Map<String, Object> cometConfig = new HashMap<>(common);
        cometConfig.put("comet.logicAddress", logicHost.address() + ":" + logic.port("logic.grpc.port"));
        cometConfig.put("comet.onlineReportInterval", "1s"); // a lost logic shows in readiness soon
        cometConfig.put("comet.drainTimeout", "1s");
        cometA = BrokerJvm.launchOn(cometAHost, "comet", "partition-comet-a", cometConfig, LOGS);
        cometB = BrokerJvm.launchOn(cometBHost, "comet", "partition-comet-b", cometConfig, LOGS);

        Map<String, Object> jobConfig = new HashMap<>(common);
        jobConfig.put("job.roomBatch.maxDelay", "20ms");
        jobConfig.put("job.pushTimeout", "2s");
        jobConfig.put("job.comets.addresses", List.of(
                "partition-comet-a=" + cometAHost.address() + ":" + cometA.port("comet.grpc.port"),
                "partition-comet-b=" + cometBHost.address() + ":" + cometB.port("comet.grpc.port")));
        job = BrokerJvm.launchOn(jobHost, "job", "partition-job", jobConfig, LOGS);
        Stream.of(logic, cometA, cometB, job).forEach(BrokerJvm::awaitReady);
        push = "http://" + logicHost.address() + ":" + logic.port("logic.http.port");
    }

    @AfterAll
    void stopCluster() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        Stream.of(cometA, cometB, logic, job).filter(j -> j != null).forEach(BrokerJvm::stop);
        if (redis != null) {
            redis.close();
        }
        if (net != null) {
            net.close();
        }
    }

    /**
     * comet A loses logic: its online reports fail, so it turns unready (no new clients) while comet B stays
     * ready; its connected client keeps receiving every push, since job delivers whatever the readiness.
     */
    @Test
    @Order(1)
    void cometCutFromLogicTurnsUnreadyKeepsItsClientAndRecovers() throws Exception {
        double skippedBefore = job.metric("imcluster_job_comet_skipped_total");
        partition("comet-logic", cometAHost, logicHost,
                () -> cometA.readyz().statusCode() != 200 && cometB.readyz().statusCode() == 200,
                () -> cometA.readyz().statusCode() == 200);
        assertThat(job.metric("imcluster_job_comet_skipped_total")).as("messages skipped for a comet")
                .isEqualTo(skippedBefore);
    }

    /**
     * job loses comet A for less than {@code job.comets.unreachableHold}: its calls fail (counted, and still
     * counted at the end of the cut), the messages
     * stay unacknowledged and are redelivered, so once the link heals comet A's client has every one of them.
     */
    @Test
    @Order(2)
    void jobCutFromACometRetriesAndTheCometGetsEveryPushAfterwards() throws Exception {
        double skippedBefore = job.metric("imcluster_job_comet_skipped_total");
        partition("comet-job", cometAHost, jobHost, rising(() -> job.metric("imcluster_job_push_failures_total")),
                () -> true);
        assertThat(job.metric("imcluster_job_comet_skipped_total")).as("messages skipped for a comet")
                .isEqualTo(skippedBefore);
    }

    /**
     * job loses the queue: logic keeps accepting (its link is whole), job's bus shows down, and once the link heals
     * job reads on from its group's position, so nothing accepted is lost.
     */
    @Test
    @Order(3)
    void jobCutFromTheQueueShowsItDownAndCatchesUp() throws Exception {
        partition("job-queue", jobHost, storeHost,
                () -> job.metric("imcluster_mq_up") == 0,
                () -> job.metric("imcluster_mq_up") == 1);
    }

    /**
     * Runs a push stream to a room with one client on each comet, cuts {@code a}↔{@code b}, waits until
     * {@code shows} (the fault is visible), holds the cut for {@link #HELD} more accepted pushes and checks that
     * the fault still shows, heals, waits until
     * {@code recovered}, and asserts that both clients received every accepted push exactly once.
     */
    private void partition(String label, Host a, Host b, BooleanSupplier shows, BooleanSupplier recovered)
            throws Exception {
        String room = "partition-" + label;
        GoimClient onA = client(cometA, 1, label + "-a", room);
        GoimClient onB = client(cometB, 2, label + "-b", room);
        List<String> gotA = new ArrayList<>();
        List<String> gotB = new ArrayList<>();
        try (FaultInjectionTest.PushStream stream = new FaultInjectionTest.PushStream(label,
                body -> TestSupport.post(push + "/goim/push/room?operation=1000&type=live&room=" + room, body)
                        .statusCode(), "")) {
            stream.start(Duration.ofMillis(10));
            stream.awaitAccepted(100);
            net.cut(a, b);
            int acceptedInCut;
            try {
                await(label + ": the fault shows").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                        .until(shows::getAsBoolean);
                int atShow = stream.acceptedCount();
                stream.awaitAccepted(atShow + HELD);
                // still there at the end of the cut (an await: a reconnect attempt in flight may hide it a moment)
                await(label + ": the fault still shows").atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(200))
                        .until(shows::getAsBoolean);
                acceptedInCut = stream.acceptedCount() - atShow;
            } finally {
                net.heal(a, b);
            }
            await(label + ": recovered").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                    .until(recovered::getAsBoolean);
            stream.awaitAccepted(stream.acceptedCount() + 100);
            stream.stop();
            List<String> ids = stream.accepted();
            awaitAll(onA, gotA, ids, label + ": the client on comet A");
            awaitAll(onB, gotB, ids, label + ": the client on comet B");
            assertThat(duplicates(gotA)).as(label + ": duplicates on comet A").isZero();
            assertThat(duplicates(gotB)).as(label + ": duplicates on comet B").isZero();
            System.out.printf("[partition %s] published %d (%d accepted while the fault showed, %d refused attempts "
                    + "retried); each client received all of them once%n", label, ids.size(), acceptedInCut,
                    stream.refused());
        }
    }

    /** True each time {@code counter} has grown since the last check (the first compares with now). */
    private static BooleanSupplier rising(DoubleSupplier counter) {
        double[] last = {counter.getAsDouble()};
        return () -> {
            double now = counter.getAsDouble();
            boolean grew = now > last[0];
            last[0] = now;
            return grew;
        };
    }

    private GoimClient client(BrokerJvm comet, long mid, String key, String room) {
        GoimClient c = GoimClient.connect(comet.address(), comet.port("comet.tcp.port"));
        closeables.add(c);
        return c.auth(auth(mid, key, "live://" + room, 1000));
    }
}
