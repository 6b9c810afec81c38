package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.testinfra.BrokerJvm;
import dev.imcluster.broker.testing.TestSupport;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Issue 4 end to end: logic, two comets and two jobs, each a separate JVM started from the test classpath as a
 * pod would run it, over a real queue (one nested class per backend: a KRaft Kafka node, nats-server -js,
 * redis-server Streams) and a real Redis session store (its own redis-server, so the session store can fail
 * alone). Clients are goim TCP clients and gRPC subscribers; every payload carries a unique id, so published
 * and delivered are compared exactly. The processes live for the whole nested class; the methods run in order,
 * the ones that break something last.
 */
class QueueBackendsEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Path LOGS = Path.of("target", "e2e-logs");

    @Nested
    class Kafka extends Scenarios {
    }

    @Nested
    class Nats extends Scenarios {
    }

    @Nested
    class Redis extends Scenarios {
    }

    /** The behaviour every backend must show; a nested class per backend names it. */
    abstract static class Scenarios extends BackendCluster.PerBackend {
        private BackendCluster cluster;
        /** The running jobs (a killed or stopped one leaves, and comes back from {@link BackendCluster#jobs}). */
        private final List<BrokerJvm> jobs = new ArrayList<>();

        @BeforeAll
        void startCluster() {
            cluster = BackendCluster.builder(backend(), LOGS)
                    .common("mq.kafka.partitions", 6) // a killed job's partitions move to the other one
                    .common("mq.retryBackoffMax", "2s") // reconnects after the outage come quickly
                    .jobs(2)
                    .start();
            jobs.addAll(cluster.jobs());
        }

        @AfterAll
        void stopCluster() {
            if (cluster != null) {
                cluster.close();
            }
        }

        // ---- helpers ----

        private GoimClient tcpClient(BrokerJvm comet, long mid, String key, String room) {
            return cluster.client(comet, mid, key, room, 1000, 1001);
        }

        private HttpResponse<String> pushRoom(String room, String body) throws Exception {
            return TestSupport.post(cluster.pushUrl() + "/goim/push/room?operation=1000&type=live&room=" + room,
                    body);
        }

        /** Pushes every client must see, awaited; the next pushes of each client are exactly these, in any order. */
        private static void expectExactly(Set<String> expected, GoimClient... clients) {
            for (GoimClient c : clients) {
                List<String> got = new ArrayList<>();
                await().atMost(WAIT).until(() -> {
                    got.addAll(c.drainPushes());
                    return got.size() >= expected.size();
                });
                assertThat(got).containsExactlyInAnyOrderElementsOf(expected);
            }
        }

        private static PublishRequest publish(String topic, String payload) {
            return PublishRequest.newBuilder().setTopic(topic).setPayload(ByteString.copyFromUtf8(payload)).build();
        }

        // ---- scenarios ----

        @Test
        @Order(1)
        void roomTopicAndBroadcastPushesFanOutThroughJobToBothComets() throws Exception {
            GoimClient onA = tcpClient(cluster.cometA(), 101, "fan-a", "live://fan");
            GoimClient onB = tcpClient(cluster.cometB(), 102, "fan-b", "live://fan");
            GoimClient elsewhere = tcpClient(cluster.cometB(), 103, "fan-c", "live://other");

            HttpResponse<String> room = pushRoom("fan", "room-1");
            assertThat(room.statusCode()).as(room.body()).isEqualTo(200);
            expectExactly(Set.of("room-1"), onA, onB);

            // A gRPC topic subscriber on comet B, fed by Publish on logic (a topic is a room).
            SubscribeStream subscriber = new SubscribeStream();
            PubSubServiceGrpc.newStub(cluster.channel(cluster.cometB(), "comet.pubsubGrpc.port"))
                    .subscribe(SubscribeRequest.newBuilder().setTopic("news").build(), subscriber);
            PubSubServiceGrpc.PubSubServiceBlockingStub publisher = PubSubServiceGrpc.newBlockingStub(
                    cluster.channel(cluster.logic(), "logic.grpc.port"));
            // The subscription registers asynchronously: publish until one arrives, then a unique one.
            await().atMost(WAIT).pollInterval(Duration.ofMillis(300)).until(() -> {
                publisher.withDeadlineAfter(30, TimeUnit.SECONDS).publish(publish("news", "warmup"));
                return subscriber.holds("warmup");
            });
            publisher.withDeadlineAfter(30, TimeUnit.SECONDS).publish(publish("news", "topic-1"));
            await().atMost(WAIT).until(() -> subscriber.holds("topic-1"));

            HttpResponse<String> all = TestSupport.post(cluster.pushUrl() + "/goim/push/all?operation=1000",
                    "to-all");
            assertThat(all.statusCode()).as(all.body()).isEqualTo(200);
            expectExactly(Set.of("to-all"), onA, onB, elsewhere); // "elsewhere" got no room push before
        }

        @Test
        @Order(2)
        void keyAndMidPushesResolveThroughTheRedisSessionStore() throws Exception {
            GoimClient alice = tcpClient(cluster.cometB(), 201, "alice-phone", "live://k");
            GoimClient bob = tcpClient(cluster.cometA(), 202, "bob-web", "live://k");

            HttpResponse<String> keys = TestSupport.post(
                    cluster.pushUrl() + "/goim/push/keys?operation=1001&keys=alice-phone", "hi-alice");
            assertThat(keys.statusCode()).as(keys.body()).isEqualTo(200);
            HttpResponse<String> mids = TestSupport.post(cluster.pushUrl() + "/goim/push/mids?operation=1001&mids=202",
                    "hi-bob");
            assertThat(mids.statusCode()).as(mids.body()).isEqualTo(200);
            assertThat(pushRoom("k", "to-both").statusCode()).isEqualTo(200);
            // Each got its own push and the room push, nothing else.
            expectExactly(Set.of("hi-alice", "to-both"), alice);
            expectExactly(Set.of("hi-bob", "to-both"), bob);
        }

        @Test
        @Order(3)
        void withTheSessionStoreDownConnectsFailClearlyWhileRoomPushesFlow() throws Exception {
            GoimClient member = tcpClient(cluster.cometA(), 301, "s-member", "live://s");
            cluster.sessionRedis().stop();
            try {
                // Shown in /readyz, but logic stays ready: room pushes need no session.
                await().atMost(WAIT).until(() -> cluster.logic().readyz().body().contains("session store unreachable"));
                assertThat(cluster.logic().readyz().statusCode()).isEqualTo(200);

                GoimClient refused = cluster.connect(cluster.cometB());
                refused.send(7, 1, auth(302, "s-new", "live://s", 1000));
                refused.awaitClosed();
                assertThat(refused.frames).as("no auth reply, no push").isEmpty();
                assertThat(cluster.cometB().metric("imcluster_comet_auth_failures_total", "reason=\"unavailable\""))
                        .isPositive();
                await().atMost(WAIT).until(() -> cluster.cometB().log().contains("session store unavailable"));

                // A key push needs the store: refused with 503, never a 200 for a push that went nowhere.
                HttpResponse<String> key = TestSupport.post(
                        cluster.pushUrl() + "/goim/push/keys?operation=1001&keys=s-member", "lost");
                assertThat(key.statusCode()).as(key.body()).isEqualTo(503);
                assertThat(key.body()).contains("not accepted");

                // Room pushes need no session lookup and keep flowing.
                HttpResponse<String> room = pushRoom("s", "while-store-down");
                assertThat(room.statusCode()).as(room.body()).isEqualTo(200);
                expectExactly(Set.of("while-store-down"), member);
            } finally {
                cluster.sessionRedis().start();
            }
            await().atMost(WAIT).until(() -> cluster.logic().readyz().statusCode() == 200);
            GoimClient back = await().atMost(WAIT).ignoreExceptions()
                    .until(() -> tcpClient(cluster.cometB(), 303, "s-back", "live://s"), c -> true);
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
                BrokerJvm restarted = cluster.jobs().stream().filter(j -> !jobs.contains(j)).findFirst().orElseThrow();
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
                members.put(room, List.of(tcpClient(cluster.cometA(), ++mid, label + "-a-" + room, "live://" + room),
                        tcpClient(cluster.cometB(), ++mid, label + "-b-" + room, "live://" + room)));
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
                        got.addAll(c.drainPushes());
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
                        got.addAll(c.drainPushes());
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
            return cluster.cometA().metric("imcluster_comet_dedupe_hits_total")
                    + cluster.cometB().metric("imcluster_comet_dedupe_hits_total");
        }

        private static double consumed(BrokerJvm job) {
            return job.metric("imcluster_job_consumed_total");
        }

        @Test
        @Order(6)
        void aQueueOutageGives503AndUnavailableThenRecoversOnItsOwn() throws Exception {
            GoimClient member = tcpClient(cluster.cometB(), 501, "outage", "live://o");
            BrokerJvm job = jobs.get(0);
            Set<String> accepted = ConcurrentHashMap.newKeySet(); // pushes answered 200: they must arrive
            AtomicInteger attempt = new AtomicInteger();
            cluster.queue().stop();
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
                        cluster.channel(cluster.logic(), "logic.grpc.port")).withDeadlineAfter(60, TimeUnit.SECONDS);
                assertThatThrownBy(() -> publisher.publish(publish("o-topic", "during-outage")))
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                            assertThat(e.getStatus().getDescription()).contains("queue unavailable");
                        });

                await().atMost(WAIT).until(() -> cluster.logic().readyz().statusCode() == 503
                        && job.readyz().statusCode() == 503);
                assertThat(cluster.logic().readyz().body()).contains("logic.bus").contains("unreachable");
                assertThat(job.readyz().body()).contains("job.bus").contains("unreachable");
            } finally {
                cluster.queue().start();
            }
            await().atMost(WAIT).until(() -> cluster.logic().readyz().statusCode() == 200
                    && job.readyz().statusCode() == 200);
            HttpResponse<String> after = pushRoom("o", "after-outage");
            assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
            accepted.add("after-outage");
            expectExactly(accepted, member);
        }
    }
}
