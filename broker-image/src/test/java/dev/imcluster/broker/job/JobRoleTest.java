package dev.imcluster.broker.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.JobConfig;
import dev.imcluster.broker.mq.memory.InMemoryBus;
import dev.imcluster.broker.runtime.HostResolver;
import dev.imcluster.broker.runtime.RoleContext;
import dev.imcluster.broker.testing.TestSupport;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** job against two real gRPC fake comets, fed through the in-memory bus. */
class JobRoleTest {

    private final MeterRegistry busMeters = new SimpleMeterRegistry();
    private final InMemoryBus bus = new InMemoryBus(busMeters);
    private FakeComet cometA;
    private FakeComet cometB;
    private JobRole job;
    private RoleContext ctx;
    private int seq;

    @BeforeEach
    void comets() throws Exception {
        cometA = new FakeComet("127.0.0.1", 0);
        cometB = new FakeComet("127.0.0.1", 0);
    }

    @AfterEach
    void stop() throws Exception {
        if (job != null) {
            job.close();
        }
        bus.close();
        cometA.close();
        cometB.close();
    }

    /** Comets found through the DNS name comets.test (resolved by a test's resolver), on comet A's port. */
    private BrokerConfig dnsDiscovery() {
        BrokerConfig config = config(20, Duration.ZERO);
        config.job.comets.mode = JobConfig.DiscoveryMode.DNS;
        config.job.comets.dnsName = "comets.test";
        config.job.comets.port = cometA.port();
        return config;
    }

    private BrokerConfig config(int maxMessages, Duration maxDelay) {
        BrokerConfig config = TestSupport.loopbackConfig();
        config.job.roomBatch.maxMessages = maxMessages;
        config.job.roomBatch.maxDelay = maxDelay;
        config.job.pushTimeout = Duration.ofSeconds(2);
        config.job.comets.refreshInterval = Duration.ofMillis(300);
        config.job.comets.addresses = new ArrayList<>(List.of("comet-a=127.0.0.1:" + cometA.port(),
                "comet-b=127.0.0.1:" + cometB.port()));
        return config;
    }

    /** DNS as a map that the test edits: a name with no entry does not resolve. */
    static HostResolver fromRecords(Map<String, List<String>> records) {
        return host -> {
            List<String> ips = records.get(host);
            if (ips == null) {
                throw new UnknownHostException(host);
            }
            return ips;
        };
    }

    /** A comet on 127.0.0.2 with cometA's port (DNS names addresses, not ports); moves cometA if it is taken. */
    private FakeComet sameSecondPort() throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                return new FakeComet("127.0.0.2", cometA.port());
            } catch (java.io.IOException taken) {
                if (attempt == 10) {
                    throw taken;
                }
                cometA.close();
                cometA = new FakeComet("127.0.0.1", 0);
            }
        }
    }

    private void startJob(BrokerConfig config, HostResolver resolver) {
        ctx = TestSupport.context(config, "job-1", bus, null);
        job = new JobRole(ctx, resolver);
        job.start();
    }

    private void publish(PushEnvelope.Builder e) {
        bus.publish(e.setMsgId("m" + (++seq)).setPublishedAtMicros(System.currentTimeMillis() * 1000).build()).join();
    }

    private void room(String room, String body) {
        publish(PushEnvelope.newBuilder().setType(PushEnvelope.Type.ROOM).setRoom(room).setOperation(1000)
                .setMsg(ByteString.copyFromUtf8(body)));
    }

    private double pending() {
        return busMeters.get("imcluster.mq.lag").gauge().value();
    }

    private double metric(String name) {
        return ctx.meters().get(name).counter().count();
    }

    /** Messages a comet got, repeats (redeliveries) counted once. */
    private static long distinctIds(FakeComet comet) {
        return comet.roomMessages().stream().map(RoomMessage::getMsgId).distinct().count();
    }

    private double skipped(String reason) {
        return ctx.meters().get("imcluster_job_comet_skipped").tag("reason", reason).counter().count();
    }

    @Test
    void roomMessagesAreBatchedInOrderToEveryCometAndAckedAfterDelivery() {
        startJob(config(5, Duration.ofMinutes(10)), HostResolver.SYSTEM);
        for (int i = 0; i < 13; i++) {
            room("live://1", "msg-" + i);
        }
        // The quiet room's first message goes at once, then two full batches of 5.
        await().atMost(Duration.ofSeconds(30)).until(() -> cometA.roomBatches.size() == 3 && cometB.roomBatches.size() == 3);
        // The 2 left over wait for maxDelay: consumed but not acknowledged.
        await().atMost(Duration.ofSeconds(30)).until(() -> ctx.meters().get("imcluster_job_consumed").tag("type", "room")
                .counter().count() == 13);
        assertThat(pending()).isEqualTo(2);
        for (FakeComet comet : List.of(cometA, cometB)) {
            assertThat(comet.roomBatches).allSatisfy(b -> assertThat(b.getRoomId()).isEqualTo("live://1"));
            assertThat(comet.roomBatches).extracting(b -> b.getMessagesCount()).containsExactly(1, 5, 5);
            assertThat(comet.roomMessages()).extracting(m -> m.getBody().toStringUtf8())
                    .containsExactly("msg-0", "msg-1", "msg-2", "msg-3", "msg-4", "msg-5", "msg-6", "msg-7", "msg-8",
                            "msg-9", "msg-10");
            RoomMessage first = comet.roomMessages().get(0);
            assertThat(first.getMsgId()).isEqualTo("m1");
            assertThat(first.getOperation()).isEqualTo(1000);
            assertThat(first.getPublishedAtMicros()).isPositive();
        }
        assertThat(ctx.meters().get("imcluster_job_batch_size").summary().max()).isEqualTo(5);
    }

    @Test
    void aBatchGoesOutAfterMaxDelayAndRoomsAreBatchedSeparately() {
        startJob(config(1000, Duration.ofMillis(100)), HostResolver.SYSTEM);
        room("live://1", "a1");
        room("live://2", "b1");
        room("live://1", "a2");
        await().atMost(Duration.ofSeconds(30)).until(() -> cometA.roomMessages().size() == 3
                && cometB.roomMessages().size() == 3 && pending() == 0);
        Map<String, List<String>> byRoom = new ConcurrentHashMap<>();
        cometA.roomBatches.forEach(b -> b.getMessagesList().forEach(m -> byRoom.computeIfAbsent(b.getRoomId(),
                r -> new ArrayList<>()).add(m.getBody().toStringUtf8())));
        assertThat(byRoom).containsEntry("live://1", List.of("a1", "a2")).containsEntry("live://2", List.of("b1"));
    }

    @Test
    void zeroMaxDelayBatchesWhatArrivesWhileASendIsInFlight() {
        BrokerConfig config = config(20, Duration.ZERO);
        // A holds the first batch for as long as the test takes; on a loaded machine that can pass 2 s, and a
        // timed-out call would be redelivered (a different batching than the one asserted here).
        config.job.pushTimeout = Duration.ofMinutes(2);
        startJob(config, HostResolver.SYSTEM);
        java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
        cometA.gate = gate;
        room("live://1", "first");
        await().atMost(Duration.ofSeconds(30)).until(() -> cometB.roomMessages().size() == 1); // A holds it
        for (int i = 0; i < 5; i++) {
            room("live://1", "next-" + i);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> ctx.meters().get("imcluster_job_consumed").tag("type", "room")
                .counter().count() == 6);
        gate.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> cometA.roomMessages().size() == 6 && pending() == 0);
        assertThat(cometA.roomBatches).extracting(b -> b.getMessagesCount()).containsExactly(1, 5);
        assertThat(cometA.roomMessages()).extracting(m -> m.getBody().toStringUtf8())
                .containsExactly("first", "next-0", "next-1", "next-2", "next-3", "next-4");
    }

    @Test
    void pushGoesToTheNamedCometAndBroadcastToAll() {
        startJob(config(20, Duration.ofMillis(50)), HostResolver.SYSTEM);
        publish(PushEnvelope.newBuilder().setType(PushEnvelope.Type.PUSH).setServer("comet-b").addKeys("k1")
                .addKeys("k2").setOperation(1001).setMsg(ByteString.copyFromUtf8("for you")));
        publish(PushEnvelope.newBuilder().setType(PushEnvelope.Type.BROADCAST).setOperation(1002).setSpeed(10)
                .setMsg(ByteString.copyFromUtf8("for all")));
        await().atMost(Duration.ofSeconds(30)).until(() -> cometB.pushes.size() == 1
                && cometA.broadcasts.size() == 1 && cometB.broadcasts.size() == 1 && pending() == 0);
        assertThat(cometA.pushes).isEmpty();
        assertThat(cometB.pushes.get(0).getKeysList()).containsExactly("k1", "k2");
        assertThat(cometB.pushes.get(0).getProtoOp()).isEqualTo(1001);
        // goim's shape: a Raw (op 9) proto holding one frame (16-byte header, op 1001) with the message.
        assertThat(cometB.pushes.get(0).getProto().getOp()).isEqualTo(9);
        java.nio.ByteBuffer inner = cometB.pushes.get(0).getProto().getBody().asReadOnlyByteBuffer();
        assertThat(inner.getInt()).isEqualTo(16 + "for you".length());
        assertThat(inner.getShort()).isEqualTo((short) 16);
        assertThat(inner.getShort()).isEqualTo((short) 1);
        assertThat(inner.getInt()).isEqualTo(1001);
        inner.getInt();
        assertThat(java.nio.charset.StandardCharsets.UTF_8.decode(inner).toString()).isEqualTo("for you");
        assertThat(cometB.pushes.get(0).getMsgId()).isEqualTo("m1");
        assertThat(cometA.broadcasts.get(0).getSpeed()).isEqualTo(5); // goim splits speed across comets

        // A server nobody knows: every comet gets the keys (they ignore keys they do not hold).
        publish(PushEnvelope.newBuilder().setType(PushEnvelope.Type.PUSH).setServer("comet-x").addKeys("k3")
                .setOperation(1001));
        await().atMost(Duration.ofSeconds(30)).until(() -> cometA.pushes.size() == 1 && cometB.pushes.size() == 2);
        assertThat(metric("imcluster_job_push_server_unresolved")).isEqualTo(1);
    }

    @Test
    void aFailedCallIsRedeliveredUntilTheCometAcceptsIt() {
        startJob(config(20, Duration.ZERO), HostResolver.SYSTEM);
        cometA.failNext.set(2);
        room("live://1", "retry me");
        await().atMost(Duration.ofSeconds(30)).until(() -> cometA.roomMessages().size() == 1 && pending() == 0);
        assertThat(cometA.roomMessages().get(0).getBody().toStringUtf8()).isEqualTo("retry me");
        assertThat(cometB.roomMessages()).extracting(RoomMessage::getMsgId).containsOnly("m1"); // repeats: same id
        assertThat(metric("imcluster_job_push_failures")).isEqualTo(2);
    }

    @Test
    void aCometThatIsNotRunningIsSkippedAtOnceAndCounted() throws Exception {
        startJob(config(20, Duration.ZERO), HostResolver.SYSTEM);
        cometB.close(); // connection refused: nobody can be connected to it
        for (int i = 0; i < 10; i++) {
            room("live://" + i, "m" + i);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> distinctIds(cometA) == 10 && pending() == 0);
        assertThat(skipped("not_running")).isEqualTo(10);
        assertThat(skipped("unreachable")).isZero();
    }

    @Test
    void anUnreachableCometGetsEveryMessageOnceItAnswersWithinTheHold() {
        startJob(config(20, Duration.ZERO), HostResolver.SYSTEM);
        cometB.failNext.set(8); // more failures in a row than the old circuit breaker (3) allowed
        for (int i = 0; i < 5; i++) {
            room("live://1", "m" + i);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> distinctIds(cometB) == 5 && pending() == 0);
        assertThat(cometA.roomMessages()).extracting(RoomMessage::getMsgId).containsAll(
                cometB.roomMessages().stream().map(RoomMessage::getMsgId).toList());
        assertThat(metric("imcluster_job_push_failures")).isGreaterThanOrEqualTo(8);
        assertThat(skipped("unreachable") + skipped("not_running") + skipped("gone")).isZero();
    }

    @Test
    void anUnreachableCometHoldsItsMessagesForTheBoundThenTheyAreSkippedAndCounted() {
        BrokerConfig config = config(20, Duration.ZERO);
        config.job.comets.unreachableHold = Duration.ofSeconds(3);
        config.job.comets.refreshInterval = Duration.ofMinutes(5); // no probe gets through during the test
        startJob(config, HostResolver.SYSTEM);
        cometB.failNext.set(Integer.MAX_VALUE);
        long start = System.nanoTime();
        room("live://1", "held");
        await().atMost(Duration.ofSeconds(30)).until(() -> metric("imcluster_job_push_failures") >= 2);
        assertThat(pending()).as("held, not acknowledged, while comet B may come back").isEqualTo(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> pending() == 0);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofSeconds(3));
        assertThat(skipped("unreachable")).isEqualTo(1);
        // Given up: the next messages are skipped for B (counted) without holding A's.
        room("live://1", "after");
        await().atMost(Duration.ofSeconds(30)).until(() -> distinctIds(cometA) == 2 && pending() == 0);
        assertThat(skipped("unreachable")).isEqualTo(2);
        assertThat(cometB.roomMessages()).isEmpty();
    }

    @Test
    void aMessageConsumedBeforeAnyCometIsDiscoveredWaitsForOneInsteadOfBeingDropped() {
        Map<String, List<String>> records = new ConcurrentHashMap<>();
        // no record yet: a job pod that starts before its DNS answers
        HostResolver resolver = fromRecords(records);
        BrokerConfig config = dnsDiscovery();
        startJob(config, resolver);

        room("live://1", "early");
        await().atMost(Duration.ofSeconds(30)).until(() -> metric("imcluster_job_deferred") >= 1);
        assertThat(pending()).isEqualTo(1); // not acknowledged

        records.put("comets.test", List.of("127.0.0.1"));
        await().atMost(Duration.ofSeconds(60)).until(() -> cometA.roomMessages().size() == 1 && pending() == 0);
        assertThat(cometA.roomMessages().get(0).getBody().toStringUtf8()).isEqualTo("early");
    }

    @Test
    void dnsDiscoveryFollowsTheRecordsAndResolvesServerIds() throws Exception {
        // DNS names addresses, not ports: both comets on one port, which must be free on 127.0.0.2 too.
        cometB.close();
        cometB = sameSecondPort();
        Map<String, List<String>> records = new ConcurrentHashMap<>(Map.of(
                "comets.test", List.of("127.0.0.1", "127.0.0.2"),
                "comet-b.comets.test", List.of("127.0.0.2")));
        HostResolver resolver = fromRecords(records);
        BrokerConfig config = dnsDiscovery();
        startJob(config, resolver);

        room("live://1", "both");
        await().atMost(Duration.ofSeconds(30)).until(() -> cometA.roomMessages().size() == 1
                && cometB.roomMessages().size() == 1);

        // The first push to comet-b may go everywhere while its name resolves; later ones go to comet-b only.
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            int before = cometA.pushes.size();
            publish(PushEnvelope.newBuilder().setType(PushEnvelope.Type.PUSH).setServer("comet-b").addKeys("k"));
            await().atMost(Duration.ofSeconds(30)).until(() -> pending() == 0);
            return cometA.pushes.size() == before;
        });

        records.put("comets.test", List.of("127.0.0.1"));
        await().atMost(Duration.ofSeconds(30)).until(() -> ctx.meters().get("imcluster_job_comets").gauge().value() == 1);
        room("live://1", "only a");
        await().atMost(Duration.ofSeconds(30)).until(() -> cometA.roomMessages().size() == 2 && pending() == 0);
        assertThat(cometB.roomMessages()).hasSize(1);
    }

    @Test
    void aCometDroppedFromDiscoveryIsNoLongerWaitedForAndWhatItMissedIsCounted() throws Exception {
        cometB.close();
        cometB = sameSecondPort(); // on 127.0.0.2 with cometA's port
        Map<String, List<String>> records = new ConcurrentHashMap<>(Map.of(
                "comets.test", List.of("127.0.0.1", "127.0.0.2")));
        BrokerConfig config = dnsDiscovery();
        config.job.comets.unreachableHold = Duration.ofMinutes(5);
        startJob(config, fromRecords(records));
        cometB.failNext.set(Integer.MAX_VALUE);
        room("live://1", "for both");
        await().atMost(Duration.ofSeconds(30)).until(() -> distinctIds(cometA) == 1
                && metric("imcluster_job_push_failures") >= 1);
        assertThat(pending()).isEqualTo(1);

        records.put("comets.test", List.of("127.0.0.1"));
        await().atMost(Duration.ofSeconds(30)).until(() -> pending() == 0);
        assertThat(skipped("gone")).isEqualTo(1);
        assertThat(skipped("unreachable")).isZero();
    }
}
