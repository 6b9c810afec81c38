package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import dev.imcluster.broker.testinfra.BrokerJvm;
import dev.imcluster.broker.testinfra.KafkaCluster;
import dev.imcluster.broker.testinfra.NatsServerProcess;
import dev.imcluster.broker.testinfra.RedisServerProcess;
import dev.imcluster.broker.testing.TestSupport;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 4 end to end: logic, two comets and two jobs, each a separate JVM started from the test classpath as a
 * pod would run it, over a real queue (one nested class per backend: in-JVM KRaft Kafka, nats-server -js,
 * redis-server Streams) and a real Redis session store (its own redis-server, so the session store can fail
 * alone). Clients are goim TCP clients and gRPC subscribers; every payload carries a unique id, so published
 * and delivered are compared exactly. The processes live for the whole nested class; the methods run in order,
 * the ones that break something last.
 */
class QueueBackendsEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Path LOGS = Path.of("target", "e2e-logs");

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class Kafka extends Scenarios {
        private KafkaCluster kafka;

        @Override
        String backend() {
            return "kafka";
        }

        @Override
        Map<String, Object> startQueue() {
            kafka = KafkaCluster.start();
            return Map.of("mq.backend", "kafka",
                    "mq.kafka.bootstrapServers", kafka.bootstrapServers(),
                    "mq.kafka.partitions", 6,
                    "mq.kafka.deliveryTimeout", "4s", // a publish during the outage fails within this
                    // a killed job's partitions move to the other job after this (Kafka's minimum), not 45 s
                    "mq.kafka.properties", Map.of("session.timeout.ms", "6000", "heartbeat.interval.ms", "1000"));
        }

        @Override
        void stopQueue() {
            kafka.stopBroker();
        }

        @Override
        void restartQueue() {
            kafka.startBroker();
        }

        @Override
        void closeQueue() {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class Nats extends Scenarios {
        private NatsServerProcess nats;

        @Override
        String backend() {
            return "nats";
        }

        @Override
        Map<String, Object> startQueue() {
            nats = NatsServerProcess.launch();
            // a killed job's unacknowledged messages are redelivered after ackWait
            return Map.of("mq.backend", "nats", "mq.nats.url", nats.url(), "mq.nats.ackWait", "4s",
                    "mq.nats.maxDeliver", -1);
        }

        @Override
        void stopQueue() {
            nats.stop();
        }

        @Override
        void restartQueue() {
            nats.start();
        }

        @Override
        void closeQueue() {
            if (nats != null) {
                nats.close();
            }
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class Redis extends Scenarios {
        private RedisServerProcess queueRedis;

        @Override
        String backend() {
            return "redis";
        }

        @Override
        Map<String, Object> startQueue() {
            queueRedis = RedisServerProcess.launch();
            // a killed job's pending entries are claimed by the other job after claimIdle
            return Map.of("mq.backend", "redis", "mq.redis.address", queueRedis.address(),
                    "mq.redis.claimIdle", "4s");
        }

        @Override
        void stopQueue() {
            queueRedis.stop();
        }

        @Override
        void restartQueue() {
            queueRedis.start();
        }

        @Override
        void closeQueue() {
            if (queueRedis != null) {
                queueRedis.close();
            }
        }
    }

    /** The behaviour every backend must show; a nested class per backend supplies the queue. */
    abstract static class Scenarios {
        private final List<AutoCloseable> closeables = new ArrayList<>();
        private RedisServerProcess sessionRedis;
        private BrokerJvm logic;
        private BrokerJvm cometA;
        private BrokerJvm cometB;
        /** The running jobs, and every job JVM (so a stopped one can come back). */
        private final List<BrokerJvm> jobs = new ArrayList<>();
        private final List<BrokerJvm> allJobs = new ArrayList<>();
        private String push;

        abstract String backend();

        /** Starts the queue server; returns the mq.* config that points at it. */
        abstract Map<String, Object> startQueue();

        abstract void stopQueue();

        abstract void restartQueue();

        abstract void closeQueue();

        @BeforeAll
        void startCluster() {
            Map<String, Object> common = new HashMap<>(startQueue());
            sessionRedis = RedisServerProcess.launch();
            common.put("redis.address", sessionRedis.address());
            common.put("redis.commandTimeout", "2s");
            common.put("mq.publishTimeout", "3s");
            common.put("mq.retryBackoffMax", "2s"); // reconnects after the outage come quickly
            Path logs = LOGS.resolve(backend());

            Map<String, Object> logicConfig = new HashMap<>(common);
            logicConfig.put("logic.sessionStore", "redis");
            logicConfig.put("logic.auth.mode", "goim");
            logic = BrokerJvm.launch("logic", backend() + "-logic", logicConfig, logs);

            Map<String, Object> cometConfig = new HashMap<>(common);
            cometConfig.put("comet.logicAddress", "127.0.0.1:" + logic.port("logic.grpc.port"));
            cometConfig.put("comet.drainTimeout", "1s");
            cometA = BrokerJvm.launch("comet", "comet-a", cometConfig, logs);
            cometB = BrokerJvm.launch("comet", "comet-b", cometConfig, logs);

            Map<String, Object> jobConfig = new HashMap<>(common);
            jobConfig.put("job.roomBatch.maxDelay", "20ms");
            jobConfig.put("job.comets.addresses", List.of(
                    "comet-a=127.0.0.1:" + cometA.port("comet.grpc.port"),
                    "comet-b=127.0.0.1:" + cometB.port("comet.grpc.port")));
            jobs.add(BrokerJvm.launch("job", "job-1", jobConfig, logs));
            jobs.add(BrokerJvm.launch("job", "job-2", jobConfig, logs));
            allJobs.addAll(jobs);
            Stream.concat(Stream.of(logic, cometA, cometB), jobs.stream()).forEach(BrokerJvm::awaitReady);
            push = "http://127.0.0.1:" + logic.port("logic.http.port");
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
            // Comets first (they drain their clients), then logic and the jobs, as a rollout would.
            Stream.concat(Stream.of(cometA, cometB, logic), jobs.stream())
                    .filter(j -> j != null).forEach(BrokerJvm::stop);
            if (sessionRedis != null) {
                sessionRedis.close();
            }
            closeQueue();
        }

        // ---- helpers ----

        private GoimClient tcpClient(BrokerJvm comet, long mid, String key, String room) {
            GoimClient c = GoimClient.connect(Transport.TCP, comet.port("comet.tcp.port"));
            closeables.add(c);
            return c.auth(auth(mid, key, room, 1000, 1001));
        }

        private ManagedChannel channel(int port) {
            ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            closeables.add(ch::shutdownNow);
            return ch;
        }

        private HttpResponse<String> pushRoom(String room, String body) throws Exception {
            return TestSupport.post(push + "/goim/push/room?operation=1000&type=live&room=" + room, body);
        }

        /** The texts of the pushes (op >= 1000) a client has received since the last call. */
        private static List<String> drain(GoimClient c) {
            List<GoimClient.Received> frames = new ArrayList<>();
            c.frames.drainTo(frames);
            return frames.stream().filter(f -> f.op() >= 1000).map(GoimClient.Received::text).toList();
        }

        /** Pushes every client must see, awaited; the next pushes of each client are exactly these, in any order. */
        private static void expectExactly(Set<String> expected, GoimClient... clients) {
            for (GoimClient c : clients) {
                List<String> got = new ArrayList<>();
                await().atMost(WAIT).until(() -> {
                    got.addAll(drain(c));
                    return got.size() >= expected.size();
                });
                assertThat(got).containsExactlyInAnyOrderElementsOf(expected);
            }
        }

        private static final class Subscriber implements StreamObserver<SubscribeResponse> {
            final BlockingQueue<String> received = new LinkedBlockingQueue<>();

            @Override
            public void onNext(SubscribeResponse value) {
                received.add(value.getPayload().toStringUtf8());
            }

            @Override
            public void onError(Throwable t) {
                received.add("error: " + Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                received.add("completed");
            }
        }

        private static PublishRequest publish(String topic, String payload) {
            return PublishRequest.newBuilder().setTopic(topic).setPayload(ByteString.copyFromUtf8(payload)).build();
        }

        // ---- scenarios ----

        @Test
        @Order(1)
        void roomTopicAndBroadcastPushesFanOutThroughJobToBothComets() throws Exception {
            GoimClient onA = tcpClient(cometA, 101, "fan-a", "live://fan");
            GoimClient onB = tcpClient(cometB, 102, "fan-b", "live://fan");
            GoimClient elsewhere = tcpClient(cometB, 103, "fan-c", "live://other");

            HttpResponse<String> room = pushRoom("fan", "room-1");
            assertThat(room.statusCode()).as(room.body()).isEqualTo(200);
            expectExactly(Set.of("room-1"), onA, onB);

            // A gRPC topic subscriber on comet B, fed by Publish on logic (a topic is a room).
            Subscriber subscriber = new Subscriber();
            PubSubServiceGrpc.newStub(channel(cometB.port("comet.pubsubGrpc.port")))
                    .subscribe(SubscribeRequest.newBuilder().setTopic("news").build(), subscriber);
            PubSubServiceGrpc.PubSubServiceBlockingStub publisher = PubSubServiceGrpc.newBlockingStub(
                    channel(logic.port("logic.grpc.port")));
            // The subscription registers asynchronously: publish until one arrives, then a unique one.
            await().atMost(WAIT).pollInterval(Duration.ofMillis(300)).until(() -> {
                publisher.withDeadlineAfter(30, TimeUnit.SECONDS).publish(publish("news", "warmup"));
                return subscriber.received.contains("warmup");
            });
            publisher.withDeadlineAfter(30, TimeUnit.SECONDS).publish(publish("news", "topic-1"));
            await().atMost(WAIT).until(() -> subscriber.received.contains("topic-1"));

            HttpResponse<String> all = TestSupport.post(push + "/goim/push/all?operation=1000", "to-all");
            assertThat(all.statusCode()).as(all.body()).isEqualTo(200);
            expectExactly(Set.of("to-all"), onA, onB, elsewhere); // "elsewhere" got no room push before
        }

        @Test
        @Order(2)
        void keyAndMidPushesResolveThroughTheRedisSessionStore() throws Exception {
            GoimClient alice = tcpClient(cometB, 201, "alice-phone", "live://k");
            GoimClient bob = tcpClient(cometA, 202, "bob-web", "live://k");

            HttpResponse<String> keys = TestSupport.post(push + "/goim/push/keys?operation=1001&keys=alice-phone",
                    "hi-alice");
            assertThat(keys.statusCode()).as(keys.body()).isEqualTo(200);
            HttpResponse<String> mids = TestSupport.post(push + "/goim/push/mids?operation=1001&mids=202", "hi-bob");
            assertThat(mids.statusCode()).as(mids.body()).isEqualTo(200);
            assertThat(pushRoom("k", "to-both").statusCode()).isEqualTo(200);
            // Each got its own push and the room push, nothing else.
            expectExactly(Set.of("hi-alice", "to-both"), alice);
            expectExactly(Set.of("hi-bob", "to-both"), bob);
        }

        @Test
        @Order(3)
        void withTheSessionStoreDownConnectsFailClearlyWhileRoomPushesFlow() throws Exception {
            GoimClient member = tcpClient(cometA, 301, "s-member", "live://s");
            sessionRedis.stop();
            try {
                // Shown in /readyz, but logic stays ready: room pushes need no session.
                await().atMost(WAIT).until(() -> logic.readyz().body().contains("session store unreachable"));
                assertThat(logic.readyz().statusCode()).isEqualTo(200);

                GoimClient refused = GoimClient.connect(Transport.TCP, cometB.port("comet.tcp.port"));
                closeables.add(refused);
                refused.send(7, 1, auth(302, "s-new", "live://s", 1000));
                refused.awaitClosed();
                assertThat(refused.frames).as("no auth reply, no push").isEmpty();
                assertThat(cometB.metric("imcluster_comet_auth_failures_total", "reason=\"unavailable\""))
                        .isPositive();
                await().atMost(WAIT).until(() -> cometB.log().contains("session store unavailable"));

                // A key push needs the store: refused with 503, never a 200 for a push that went nowhere.
                HttpResponse<String> key = TestSupport.post(push + "/goim/push/keys?operation=1001&keys=s-member",
                        "lost");
                assertThat(key.statusCode()).as(key.body()).isEqualTo(503);
                assertThat(key.body()).contains("not accepted");

                // Room pushes need no session lookup and keep flowing.
                HttpResponse<String> room = pushRoom("s", "while-store-down");
                assertThat(room.statusCode()).as(room.body()).isEqualTo(200);
                expectExactly(Set.of("while-store-down"), member);
            } finally {
                sessionRedis.start();
            }
            await().atMost(WAIT).until(() -> logic.readyz().statusCode() == 200);
            GoimClient back = await().atMost(WAIT).ignoreExceptions()
                    .until(() -> tcpClient(cometB, 303, "s-back", "live://s"), c -> true);
            assertThat(pushRoom("s", "store-back").statusCode()).isEqualTo(200);
            expectExactly(Set.of("store-back"), member, back);
        }

        @Test
        @Order(4)
        void aJobKilledMidStreamLosesNothingAndClientsSeeNoDuplicates() throws Exception {
            streamThroughAJobFailure("kill", 400, victim -> {
                victim.kill(); // SIGKILL: its unacknowledged messages go to the other job
                jobs.remove(victim);
            });
        }

        @Test
        @Order(5)
        void aJobStoppedGracefullyMidStreamHandsItsWorkOver() throws Exception {
            if (jobs.size() < 2) { // the job killed before comes back and rejoins its group
                BrokerJvm restarted = allJobs.stream().filter(j -> !jobs.contains(j)).findFirst().orElseThrow();
                restarted.start();
                jobs.add(restarted.awaitReady());
            }
            streamThroughAJobFailure("stop", 500, victim -> {
                victim.stop(); // SIGTERM: it finishes or gives back what it holds
                jobs.remove(victim);
            });
        }

        private interface JobFailure {
            void apply(BrokerJvm busiestJob) throws Exception;
        }

        /**
         * A steady publisher (a push every 10 ms, round robin over three rooms with a member on each comet, each
         * payload a unique id); a third of the way in, {@code failure} hits the job that is doing the work. Every
         * push answered 200 must reach every member of its room exactly once.
         */
        private void streamThroughAJobFailure(String label, int firstMid, JobFailure failure) throws Exception {
            List<String> rooms = List.of(label + "1", label + "2", label + "3");
            Map<String, List<GoimClient>> members = new LinkedHashMap<>();
            int mid = firstMid;
            for (String room : rooms) {
                members.put(room, List.of(tcpClient(cometA, ++mid, label + "-a-" + room, "live://" + room),
                        tcpClient(cometB, ++mid, label + "-b-" + room, "live://" + room)));
            }
            Map<String, Set<String>> published = new ConcurrentHashMap<>();
            rooms.forEach(r -> published.put(r, ConcurrentHashMap.newKeySet()));
            AtomicInteger sent = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            int total = 450;
            Map<BrokerJvm, Double> consumedBefore = new HashMap<>();
            jobs.forEach(j -> consumedBefore.put(j, consumed(j)));
            double dedupeBefore = dedupeHits();
            ScheduledExecutorService publisher = Executors.newSingleThreadScheduledExecutor();
            try {
                publisher.scheduleAtFixedRate(() -> {
                    int n = sent.getAndIncrement();
                    if (n >= total) {
                        return;
                    }
                    String room = rooms.get(n % rooms.size());
                    String id = backend() + "-" + label + "-" + n;
                    try {
                        if (pushRoom(room, id).statusCode() == 200) {
                            published.get(room).add(id);
                        } else {
                            refused.incrementAndGet();
                        }
                    } catch (Exception e) {
                        refused.incrementAndGet();
                    }
                }, 0, 10, TimeUnit.MILLISECONDS);

                await().atMost(WAIT).until(() -> sent.get() >= total / 3);
                // The job that is working (with Kafka, the one that owns these rooms' partitions).
                failure.apply(jobs.stream().max((x, y) -> Double.compare(
                        consumed(x) - consumedBefore.get(x), consumed(y) - consumedBefore.get(y))).orElseThrow());
                await().atMost(WAIT).until(() -> sent.get() >= total);
            } finally {
                publisher.shutdown();
                assertThat(publisher.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(refused.get()).as("pushes logic refused").isZero();

            int publishedCount = published.values().stream().mapToInt(Set::size).sum();
            assertThat(publishedCount).isEqualTo(total);
            Map<GoimClient, List<String>> delivered = new HashMap<>();
            for (String room : rooms) {
                for (GoimClient c : members.get(room)) {
                    List<String> got = new ArrayList<>();
                    delivered.put(c, got);
                    await().atMost(WAIT).until(() -> {
                        got.addAll(drain(c));
                        return got.containsAll(published.get(room));
                    });
                }
            }
            // A late redelivery would arrive before a push made now: send one to each room, then check.
            for (String room : rooms) {
                assertThat(pushRoom(room, "last").statusCode()).isEqualTo(200);
            }
            int deliveredCount = 0;
            for (String room : rooms) {
                for (GoimClient c : members.get(room)) {
                    List<String> got = delivered.get(c);
                    await().atMost(WAIT).until(() -> {
                        got.addAll(drain(c));
                        return got.contains("last");
                    });
                    got.remove("last");
                    assertThat(got).as("each message exactly once").doesNotHaveDuplicates()
                            .containsExactlyInAnyOrderElementsOf(published.get(room));
                    deliveredCount += got.size();
                }
            }
            System.out.printf("[%s] job %s mid-stream: published %d, delivered %d (6 clients, each got its room's"
                    + " messages once), repeats dropped by the comets %.0f%n", backend(), label, publishedCount,
                    deliveredCount, dedupeHits() - dedupeBefore);
            assertThat(deliveredCount).isEqualTo(2 * publishedCount);
        }

        private double dedupeHits() {
            return cometA.metric("imcluster_comet_dedupe_hits_total")
                    + cometB.metric("imcluster_comet_dedupe_hits_total");
        }

        private static double consumed(BrokerJvm job) {
            return job.metric("imcluster_job_consumed_total");
        }

        @Test
        @Order(6)
        void aQueueOutageGives503AndUnavailableThenRecoversOnItsOwn() throws Exception {
            GoimClient member = tcpClient(cometB, 501, "outage", "live://o");
            BrokerJvm job = jobs.get(0);
            Set<String> accepted = ConcurrentHashMap.newKeySet(); // pushes answered 200: they must arrive
            AtomicInteger attempt = new AtomicInteger();
            stopQueue();
            try {
                await().atMost(WAIT).until(() -> {
                    String id = "during-outage-" + attempt.incrementAndGet();
                    HttpResponse<String> r = pushRoom("o", id);
                    if (r.statusCode() == 200) {
                        accepted.add(id);
                    }
                    return r.statusCode() == 503;
                });
                HttpResponse<String> refused = pushRoom("o", "refused");
                assertThat(refused.statusCode()).isEqualTo(503);
                assertThat(refused.body()).contains("queue unavailable, message not accepted");

                PubSubServiceGrpc.PubSubServiceBlockingStub publisher = PubSubServiceGrpc.newBlockingStub(
                        channel(logic.port("logic.grpc.port"))).withDeadlineAfter(60, TimeUnit.SECONDS);
                assertThatThrownBy(() -> publisher.publish(publish("o-topic", "during-outage")))
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                            assertThat(e.getStatus().getDescription()).contains("queue unavailable");
                        });

                await().atMost(WAIT).until(() -> logic.readyz().statusCode() == 503
                        && job.readyz().statusCode() == 503);
                assertThat(logic.readyz().body()).contains("logic.bus").contains("unreachable");
                assertThat(job.readyz().body()).contains("job.bus").contains("unreachable");
            } finally {
                restartQueue();
            }
            await().atMost(WAIT).until(() -> logic.readyz().statusCode() == 200 && job.readyz().statusCode() == 200);
            HttpResponse<String> after = pushRoom("o", "after-outage");
            assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
            accepted.add("after-outage");
            expectExactly(accepted, member);
        }
    }
}
