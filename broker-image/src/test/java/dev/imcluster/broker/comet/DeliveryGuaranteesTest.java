package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.comet.GoimClient.ResumableStream;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.PublishResponse;
import dev.imcluster.broker.api.pubsub.Recovery;
import dev.imcluster.broker.api.pubsub.StreamPosition;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import dev.imcluster.broker.testinfra.BrokerJvm;
import dev.imcluster.broker.testinfra.QueueServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The delivery guarantees of the topic API (positions, history, recovery, dedupe) over real processes: logic,
 * two comets and one job, each a child JVM ({@link BrokerJvm}), over each durable queue (a KRaft Kafka node,
 * nats-server -js, redis-server Streams), with sessions and history in a real Redis ({@code logic.sessionStore:
 * redis}), so history outlives every role's restart. Publishers are gRPC Publish calls on logic (retried with the
 * same idempotency key when they fail), subscribers gRPC Subscribe streams on the comets; a room's order is its
 * offset order, so what a subscriber must receive is the published messages sorted by the offsets Publish
 * returned, and every case compares that message by message.
 *
 * <p>{@code -Dimcluster.delivery.backend=nats} (or kafka, redis) runs one backend only, for a quicker run by hand.
 */
class DeliveryGuaranteesTest {

    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Path LOGS = Path.of("target", "delivery-logs");

    @Nested
    class Kafka extends Cases {
    }

    @Nested
    class Nats extends Cases {
    }

    @Nested
    class Redis extends Cases {
    }

    @Nested
    class Mqtt extends Cases {
    }

    /** The cases every durable backend must pass; a nested class per backend names it. */
    abstract static class Cases extends BackendCluster.PerBackend {
        private BackendCluster cluster;
        private PubSubServiceGrpc.PubSubServiceFutureStub publisher;

        @BeforeAll
        void startCluster() {
            Assumptions.assumeTrue(selectedBy("imcluster.delivery.backend"), "-Dimcluster.delivery.backend="
                    + System.getProperty("imcluster.delivery.backend") + " runs that backend only");
            cluster = BackendCluster.builder(backend(), LOGS)
                    // Every role reads it: history is kept where sessions are, so job appends to the same Redis.
                    .common("logic.sessionStore", "redis")
                    .common("delivery.history", List.of(
                            Map.of("pattern", "orders-*", "size", 20000, "ttl", "10m"),
                            Map.of("pattern", "tiny-*", "size", 10, "ttl", "10m")))
                    .start();
            publisher = PubSubServiceGrpc.newFutureStub(cluster.channel(cluster.logic(), "logic.grpc.port"));
        }

        @AfterAll
        void stopCluster() {
            if (cluster != null) {
                cluster.close();
            }
        }

        // ---- subscribers ----

        /**
         * A subscriber across its streams: what it received (payloads of published messages, in order) and its
         * last position, from which it resubscribes.
         */
        private final class Subscriber {
            final String topic;
            final String name;
            final List<SubscribeResponse> messages = new ArrayList<>();
            final List<Recovery> recoveries = new ArrayList<>();
            SubscribeStream stream;
            SubscribeResponse last;

            Subscriber(String name, String topic) {
                this.name = name;
                this.topic = topic;
            }

            void subscribe(BrokerJvm comet, boolean recover) {
                SubscribeRequest.Builder request = SubscribeRequest.newBuilder().setTopic(topic);
                if (recover) {
                    request.setRecover(true).setSince(StreamPosition.newBuilder().setOffset(last.getOffset())
                            .setEpoch(last.getEpoch()));
                }
                stream = new SubscribeStream();
                PubSubServiceGrpc.newStub(cluster.channel(comet, "comet.pubsubGrpc.port"))
                        .subscribe(request.build(), stream);
                SubscribeStream s = stream;
                cluster.closeAtEnd(() -> s.cancel("test end"));
            }

            /** The next response of the current stream (within the wait), null when the stream ended first. */
            SubscribeResponse next() throws InterruptedException {
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (System.nanoTime() < deadline) {
                    SubscribeResponse r = stream.received.poll(100, TimeUnit.MILLISECONDS);
                    if (r != null) {
                        return r;
                    }
                    if (stream.end.isDone() && stream.received.isEmpty()) {
                        return null;
                    }
                }
                throw new AssertionError(name + ": nothing within " + WAIT + " after " + messages.size()
                        + " messages");
            }

            /** Takes the next message (or recovery outcome) into this subscriber's record; false if the stream ended. */
            boolean take() throws InterruptedException {
                SubscribeResponse r = next();
                if (r == null) {
                    return false;
                }
                if (r.hasRecovery()) {
                    recoveries.add(r.getRecovery());
                } else {
                    messages.add(r);
                    last = r;
                }
                return true;
            }

            /** Takes everything until {@code count} messages are held (fails if the stream ends first). */
            void takeUntil(int count) throws InterruptedException {
                while (messages.size() < count) {
                    assertThat(take()).as("%s: stream still open at %d of %d messages (ended with %s)", name,
                            messages.size(), count, stream.end.getNow(null)).isTrue();
                }
            }

            /** Takes whatever the current stream still delivers, until it ends. */
            void takeUntilEnd() throws InterruptedException {
                while (take()) {
                    // recorded
                }
            }

            void cancel() {
                stream.cancel("dropped by the test");
            }

            List<String> payloads() {
                return messages.stream().map(m -> m.getPayload().toStringUtf8()).toList();
            }
        }

        /** A subscriber that is in the topic's room: a probe published after subscribing reached it. */
        private Subscriber subscribed(BrokerJvm comet, String name, String topic) throws Exception {
            Subscriber s = new Subscriber(name, topic);
            s.subscribe(comet, false);
            await(name + " joined").atMost(WAIT).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> {
                publishOnce(topic, "probe-" + name + "-" + System.nanoTime());
                return !s.stream.received.isEmpty();
            });
            String ready = "ready-" + name + "-" + System.nanoTime();
            publishOnce(topic, ready);
            do {
                assertThat(s.take()).as("%s: stream open", name).isTrue();
            } while (!s.last.getPayload().toStringUtf8().equals(ready)); // probes come before it: a room keeps order
            s.messages.clear();
            return s;
        }

        /**
         * Subscribers of one topic, each in the room, holding nothing yet: the probes of those that joined later
         * went to the earlier ones too, so every one takes up to one marker published after all joined.
         */
        private List<Subscriber> subscribedAll(String topic, List<Map.Entry<String, BrokerJvm>> byName)
                throws Exception {
            List<Subscriber> all = new ArrayList<>();
            for (Map.Entry<String, BrokerJvm> e : byName) {
                all.add(subscribed(e.getValue(), e.getKey(), topic));
            }
            String settled = "settled-" + topic + "-" + System.nanoTime();
            publishOnce(topic, settled);
            for (Subscriber s : all) {
                do {
                    assertThat(s.take()).as("%s: stream open", s.name).isTrue();
                } while (!s.last.getPayload().toStringUtf8().equals(settled));
                s.messages.clear();
            }
            return all;
        }

        /**
         * A goim TCP client of {@code comet} in {@code room} ("" for none; a topic is a room), opted in to position
         * marks (docs/GOIM-RESUME.md).
         */
        private GoimClient goimClient(BrokerJvm comet, String name, String room) {
            return cluster.client(comet, 1, name + "-" + System.nanoTime(), room, 1000).positions();
        }

        // ---- publishing ----

        private PublishResponse publishOnce(String topic, String payload) throws Exception {
            return publisher.withDeadlineAfter(30, TimeUnit.SECONDS).publish(request(topic, payload)).get();
        }

        private static PublishRequest request(String topic, String payload) {
            // The payload is the idempotency key too: a retried publish is one message.
            return PublishRequest.newBuilder().setTopic(topic).setIdempotencyKey(payload)
                    .setPayload(ByteString.copyFromUtf8(payload)).build();
        }

        /**
         * Publishes {@code label-0 .. label-(count-1)} round-robin over {@code topics}, at most {@code inFlight}
         * calls at once and at most {@code perSecond} (0: as fast as the calls come back). A failed call is
         * retried with the same idempotency key until it succeeds.
         */
        private final class Publishing implements AutoCloseable {
            final Map<String, PublishResponse> accepted = new ConcurrentHashMap<>();
            final Map<String, String> topicOf = new ConcurrentHashMap<>();
            final AtomicBoolean stop = new AtomicBoolean();
            final Semaphore window;
            final int inFlight;
            final Thread thread;
            final int count;
            volatile long startedAt;
            volatile long endedAt;
            final AtomicInteger retries = new AtomicInteger();

            Publishing(String label, List<String> topics, int count, double perSecond, int inFlight) {
                this.count = count;
                this.inFlight = inFlight;
                this.window = new Semaphore(inFlight);
                this.thread = new Thread(() -> run(label, topics, perSecond), "publisher-" + label);
                thread.setDaemon(true);
            }

            Publishing start() {
                thread.start();
                return this;
            }

            private void run(String label, List<String> topics, double perSecond) {
                startedAt = System.nanoTime();
                for (int i = 0; i < count && !stop.get(); i++) {
                    if (perSecond > 0) {
                        long due = startedAt + (long) (i * 1e9 / perSecond);
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            sleepNanos(wait);
                        }
                    }
                    window.acquireUninterruptibly();
                    String topic = topics.get(i % topics.size());
                    String payload = label + "-" + i;
                    topicOf.put(payload, topic);
                    send(topic, payload);
                }
                window.acquireUninterruptibly(inFlight); // every call answered
                endedAt = System.nanoTime();
            }

            private void send(String topic, String payload) {
                Futures.addCallback(publisher.withDeadlineAfter(30, TimeUnit.SECONDS).publish(request(topic, payload)),
                        new FutureCallback<>() {
                            @Override
                            public void onSuccess(PublishResponse r) {
                                accepted.put(payload, r);
                                window.release();
                            }

                            @Override
                            public void onFailure(Throwable t) {
                                retries.incrementAndGet();
                                CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS)
                                        .execute(() -> send(topic, payload));
                            }
                        }, MoreExecutors.directExecutor());
            }

            void awaitAccepted(int n) {
                await("%d accepted".formatted(n)).atMost(WAIT).pollInterval(Duration.ofMillis(20))
                        .until(() -> accepted.size() >= n);
            }

            /** Waits until every started publish was accepted. */
            void finish() throws InterruptedException {
                thread.join(WAIT.toMillis());
                assertThat(thread.isAlive()).as("publisher finished").isFalse();
                await("every publish accepted").atMost(WAIT).until(() -> accepted.size() == topicOf.size());
            }

            double ratePerSecond() {
                return accepted.size() / ((endedAt - startedAt) / 1e9);
            }

            /** The accepted payloads of {@code topic} after {@code after} (null: all), in offset order. */
            List<String> inOrder(String topic, SubscribeResponse after) {
                return inOrder(topic, after == null ? -1 : after.getOffset());
            }

            /** The accepted payloads of {@code topic} after offset {@code after} (-1: all), in offset order. */
            List<String> inOrder(String topic, long after) {
                return accepted.entrySet().stream()
                        .filter(e -> topicOf.get(e.getKey()).equals(topic))
                        .filter(e -> after < 0 || Long.compareUnsigned(e.getValue().getOffset(), after) > 0)
                        .sorted(Comparator.comparingLong(e -> e.getValue().getOffset()))
                        .map(Map.Entry::getKey).toList();
            }

            @Override
            public void close() {
                stop.set(true);
            }
        }

        private static void sleepNanos(long nanos) {
            try {
                TimeUnit.NANOSECONDS.sleep(nanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Receives until {@code s} holds {@code expected.size()} messages, then compares message by message. */
        private static void assertReceivedExactly(Subscriber s, List<String> expected) throws InterruptedException {
            try {
                s.takeUntil(expected.size());
            } catch (AssertionError stalled) {
                // compared below, with what is missing
            }
            List<String> got = s.payloads();
            assertThat(got).as("%s: %s", s.name, differences(expected, got)).containsExactlyElementsOf(expected);
            long previous = -1;
            for (SubscribeResponse m : s.messages) {
                if (m.getEpoch().equals(s.messages.get(0).getEpoch())) {
                    assertThat(m.getOffset()).as("%s: offsets strictly increasing", s.name).isGreaterThan(previous);
                    previous = m.getOffset();
                }
            }
            assertThat(s.stream.received.poll(500, TimeUnit.MILLISECONDS)).as("%s: nothing after the last", s.name)
                    .isNull();
        }



        /** Duplicates, missing and out-of-order messages, for a failure's description. */
        private static String differences(List<String> expected, List<String> got) {
            Set<String> seen = new HashSet<>();
            int duplicates = 0;
            for (String p : got) {
                if (!seen.add(p)) {
                    duplicates++;
                }
            }
            Set<String> missing = new HashSet<>(expected);
            missing.removeAll(seen);
            Map<String, Integer> rank = new HashMap<>();
            for (int i = 0; i < expected.size(); i++) {
                rank.put(expected.get(i), i);
            }
            int reordered = 0;
            int highest = -1;
            for (String p : got) {
                Integer r = rank.get(p);
                if (r == null) {
                    continue;
                }
                if (r < highest) {
                    reordered++;
                }
                highest = Math.max(highest, r);
            }
            List<Integer> missingAt = missing.stream().map(rank::get).sorted().limit(10).toList();
            return "expected %d, got %d: %d duplicates, %d missing (the first at %s in the expected order), %d after a newer one".formatted(expected.size(),
                    got.size(), duplicates, missing.size(), missingAt, reordered);
        }

        // ---- cases ----

        @Test
        @Order(1)
        void aSubscriberThatDroppedFor10SecondsRecoversExactlyWhatItMissedThenTheLiveStream() throws Exception {
            String topic = "orders-drop";
            List<Subscriber> both = subscribedAll(topic, List.of(Map.entry("dropper", cluster.cometA()),
                    Map.entry("drop-watcher", cluster.cometB())));
            Subscriber s = both.get(0);
            Subscriber watcher = both.get(1);
            try (Publishing publishing = new Publishing(backend() + "-drop", List.of(topic), 11_000, 1000, 64)) {
                publishing.start();
                publishing.awaitAccepted(200);
                s.takeUntil(100);
                s.cancel();
                SubscribeResponse droppedAt = s.last;
                publishing.awaitAccepted(10_200); // 10,000 flow while it is away (10 s at this rate)
                watcher.takeUntil(10_200); // and were fanned out, so they are in history
                s.subscribe(cluster.cometA(), true);
                publishing.finish(); // 800 more, live, during and after the resubscribe
                assertThat(s.take()).isTrue();
                assertThat(s.recoveries).hasSize(1);
                Recovery outcome = s.recoveries.get(0);
                assertThat(outcome.getRecovered()).as(outcome.getReason()).isTrue();
                assertThat(outcome.getReplayed()).isGreaterThanOrEqualTo(10_000);

                List<String> expected = new ArrayList<>(s.payloads());
                expected.addAll(publishing.inOrder(topic, droppedAt));
                assertThat(s.payloads()).as("before the drop")
                        .containsExactlyElementsOf(publishing.inOrder(topic, null).subList(0, s.messages.size()));
                assertReceivedExactly(s, expected);
                assertReceivedExactly(watcher, publishing.inOrder(topic, null));
                System.out.printf("[%s] drop and recover: away for %d messages, %d replayed, %d received in all%n",
                        backend(), publishing.inOrder(topic, droppedAt).size(), outcome.getReplayed(),
                        s.messages.size());
            }
        }

        /**
         * The same drop as above for goim's protocol with the resume extension: a TCP client that was away while
         * 10,000 messages flowed sends RESUME with the last mark it got, and receives exactly what it missed, in
         * order, then the live messages, each batch followed by its mark.
         */
        @Test
        @Order(1)
        void aGoimClientAwayFor10SecondsResumesExactlyWhatItMissedThenTheLiveStream() throws Exception {
            String topic = "orders-goim";
            ResumableStream s = new ResumableStream(topic, goimClient(cluster.cometA(), "goim-dropper", topic));
            await("goim client in the room").atMost(WAIT).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> {
                        publishOnce(topic, "probe-goim-" + System.nanoTime());
                        return !s.client().frames.isEmpty();
                    });
            Subscriber watcher = subscribed(cluster.cometB(), "goim-watcher", topic);
            String settled = "settled-goim-" + System.nanoTime();
            publishOnce(topic, settled);
            s.takeThrough(settled);
            s.messages.clear();
            watcher.takeUntil(1);
            watcher.messages.clear();
            try (Publishing publishing = new Publishing(backend() + "-goim", List.of(topic), 11_000, 1000, 64)) {
                publishing.start();
                publishing.awaitAccepted(200);
                s.takeUntil(100);
                s.client().close();
                JsonNode droppedAt = s.lastMark();
                List<String> before = s.payloads();
                publishing.awaitAccepted(10_200); // 10,000 flow while it is away (10 s at this rate)
                watcher.takeUntil(10_200); // and were fanned out, so they are in history
                // no room at Auth: RESUME joins it
                s.resumeOn(goimClient(cluster.cometA(), "goim-dropper", ""), 9);
                publishing.finish(); // 800 more, live, during and after the resume
                JsonNode outcome = s.takeResumeReply();
                assertThat(outcome.get("recovered").asBoolean()).as(outcome.toString()).isTrue();
                assertThat(outcome.get("replayed").asInt()).isGreaterThanOrEqualTo(10_000);
                assertThat(outcome.get("epoch").asText()).isEqualTo(droppedAt.get("epoch").asText());

                List<String> published = publishing.inOrder(topic, -1);
                assertThat(before).as("before the drop").containsExactlyElementsOf(published.subList(0, before.size()));
                List<String> expected = new ArrayList<>(before);
                expected.addAll(publishing.inOrder(topic, ResumableStream.offset(droppedAt)));
                assertThat(expected).containsExactlyElementsOf(published);
                try {
                    s.takeUntil(expected.size());
                } catch (AssertionError stalled) {
                    // compared below, with what is missing
                }
                assertThat(s.payloads()).as("goim-dropper: %s", differences(expected, s.payloads()))
                        .containsExactlyElementsOf(expected);
                assertThat(s.client().quiet()).as("nothing after the last message's mark").isTrue();
                assertReceivedExactly(watcher, published);
                System.out.printf("[%s] goim drop and resume: away for %d messages, %d replayed, %d received in all%n",
                        backend(), expected.size() - before.size(), outcome.get("replayed").asInt(), s.messages.size());
            }
        }

        @Test
        @Order(2)
        void aPositionOlderThanHistoryIsToldThenLiveMessagesFlow() throws Exception {
            String topic = "tiny-1";
            List<Subscriber> both = subscribedAll(topic, List.of(Map.entry("tiny", cluster.cometB()),
                    Map.entry("tiny-watcher", cluster.cometA())));
            Subscriber s = both.get(0);
            Subscriber watcher = both.get(1);
            publishOnce(topic, "tiny-seen");
            s.takeUntil(1);
            s.cancel();
            for (int i = 0; i < 50; i++) {
                publishOnce(topic, "tiny-missed-" + i);
            }
            watcher.takeUntil(51); // all 50 fanned out (so in history) before the resubscribe
            SubscribeResponse missedFrom = s.last;
            s.messages.clear();
            s.subscribe(cluster.cometB(), true);
            assertThat(s.take()).isTrue();
            Recovery outcome = s.recoveries.get(0);
            assertThat(outcome.getRecovered()).isFalse();
            assertThat(outcome.getReason()).isEqualTo("position older than history");
            assertThat(outcome.getPosition().getEpoch()).isEqualTo(missedFrom.getEpoch());
            assertThat(outcome.getPosition().getOffset()).isGreaterThan(missedFrom.getOffset());
            List<String> live = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                live.add("tiny-live-" + i);
                publishOnce(topic, "tiny-live-" + i);
            }
            assertReceivedExactly(s, live);
        }

        @Test
        @Order(3)
        void subscribersOfARestartedCometResubscribeAndRecoverEverythingPublishedMeanwhile() throws Exception {
            String topic = "orders-comet-restart";
            List<Subscriber> all = subscribedAll(topic, List.of(Map.entry("moves-to-b", cluster.cometA()),
                    Map.entry("back-to-a", cluster.cometA()), Map.entry("stays-on-b", cluster.cometB())));
            Subscriber toOther = all.get(0);
            Subscriber toSame = all.get(1);
            Subscriber stays = all.get(2);
            try (Publishing publishing = new Publishing(backend() + "-cr", List.of(topic), 3_000, 200, 16)) {
                publishing.start();
                publishing.awaitAccepted(200);
                cluster.cometA().stop();
                try {
                    for (Subscriber s : List.of(toOther, toSame)) {
                        s.takeUntilEnd();
                        assertThat(s.recoveries).isEmpty();
                    }
                    toOther.subscribe(cluster.cometB(), true);
                } finally {
                    cluster.cometA().start();
                    cluster.cometA().awaitReady();
                }
                toSame.subscribe(cluster.cometA(), true);
                publishing.finish();
                List<String> published = publishing.inOrder(topic, null);
                for (Subscriber s : List.of(toOther, toSame)) {
                    List<String> before = s.payloads();
                    assertThat(s.take()).isTrue();
                    assertThat(s.recoveries).hasSize(1);
                    assertThat(s.recoveries.get(0).getRecovered()).as(s.recoveries.get(0).getReason()).isTrue();
                    System.out.printf("[%s] comet restart: %s had %d before, %d replayed%n", backend(), s.name,
                            before.size(), s.recoveries.get(0).getReplayed());
                    assertReceivedExactly(s, published);
                }
                assertReceivedExactly(stays, published);
            }
        }

        /**
         * The only job is SIGKILLed while publishing runs as fast as it can and is restarted: what it delivered
         * but did not acknowledge comes again (the queue is at-least-once) and comet must drop it, so every
         * subscriber has every message exactly once, in offset order: the restarted job hands on first what the dead one
         * held (Kafka: from the committed offset; JetStream: replayed from the ack floor; Redis Streams: the group's
         * pending entries taken over before new ones).
         */
        @Test
        @Order(4)
        void theJobKilledUnderLoadAndRestartedEverySubscriberGetsEveryMessageOnceInOrder() throws Exception {
            jobKilledUnderLoad("orders-load", "restarted", () -> cluster.job().start());
        }

        /**
         * The same, but the job that takes over has another serverId: a pod replaced on another node. It takes over
         * what the dead one held, first (MQTT: it adopts the dead member's session before it consumes its own).
         */
        @Test
        @Order(4)
        void theJobKilledUnderLoadAndReplacedUnderAnotherNameEverySubscriberGetsEveryMessageOnceInOrder()
                throws Exception {
            jobKilledUnderLoad("orders-moved", "replaced under another name", () -> {
                cluster.replaceJob(cluster.launch("job", backend() + "-job-elsewhere", Map.of()));
                cluster.job().awaitReady();
            });
        }

        @FunctionalInterface
        private interface Step {
            void run() throws Exception;
        }

        private void jobKilledUnderLoad(String topicPrefix, String how, Step takeOver) throws Exception {
            List<String> topics = List.of(topicPrefix + "-0", topicPrefix + "-1", topicPrefix + "-2");
            List<Subscriber> subscribers = new ArrayList<>();
            for (String topic : topics) {
                subscribers.addAll(subscribedAll(topic, List.of(Map.entry(topic + "-a", cluster.cometA()),
                        Map.entry(topic + "-b", cluster.cometB()))));
            }
            try (Publishing publishing = new Publishing(backend() + "-" + topicPrefix, topics, Integer.MAX_VALUE, 0,
                    64)) {
                publishing.start();
                Thread.sleep(5_000);
                cluster.job().kill();
                int atKill = publishing.accepted.size();
                takeOver.run();
                Thread.sleep(5_000);
                publishing.close();
                publishing.finish();
                System.out.printf("[%s] job killed under load and %s: %d published in %.1f s (%.0f/s), %d at the "
                                + "kill, %d publish retries%n", backend(), how, publishing.accepted.size(),
                        (publishing.endedAt - publishing.startedAt) / 1e9, publishing.ratePerSecond(), atKill,
                        publishing.retries.get());
                cluster.job().awaitReady();
                List<String> failures = new ArrayList<>();
                for (Subscriber s : subscribers) {
                    List<String> expected = publishing.inOrder(s.topic, null);
                    try {
                        assertReceivedExactly(s, expected);
                    } catch (AssertionError e) {
                        failures.add(s.name + ": " + differences(expected, s.payloads()));
                    }
                }
                assertThat(failures).as("subscribers that did not get every message once, in order").isEmpty();
            }
        }

        /**
         * logic and job are restarted on another backend (the swap without migration: nothing is left in the
         * old queue): the topic's messages now have the new backend's epoch, so a position of the old epoch
         * cannot be recovered, and the subscriber is told so, then gets the live stream.
         */
        @Test
        @Order(5)
        void afterABackendSwapAnOldEpochPositionIsToldEpochChanged() throws Exception {
            String topic = "orders-swap";
            Subscriber s = subscribed(cluster.cometB(), "swapper", topic);
            publishOnce(topic, "swap-before");
            s.takeUntil(1);
            s.cancel();
            String oldEpoch = s.last.getEpoch();

            QueueServer other = cluster.launchQueue(backend().equals("redis") ? "nats" : "redis");
            Map<String, Object> swapped = new HashMap<>(other.config());
            BrokerJvm oldLogic = cluster.logic();
            swapped.put("logic.grpc.port", oldLogic.port("logic.grpc.port")); // where the comets call it
            swapped.put("logic.http.port", oldLogic.port("logic.http.port"));
            cluster.job().stop();
            oldLogic.stop();
            cluster.replaceLogic(cluster.launch("logic", backend() + "-logic-swapped", swapped));
            cluster.replaceJob(cluster.launch("job", backend() + "-job-swapped", other.config()));
            Stream.of(cluster.logic(), cluster.job()).forEach(BrokerJvm::awaitReady);
            publisher = PubSubServiceGrpc.newFutureStub(cluster.channel(cluster.logic(), "logic.grpc.port"));
            await("comets reach the new logic").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                    .until(() -> cluster.cometA().readyz().statusCode() == 200
                            && cluster.cometB().readyz().statusCode() == 200);
            Subscriber watcher = subscribed(cluster.cometA(), "swap-watcher", topic);
            assertThat(watcher.last.getEpoch()).as("the new backend's epoch").isNotEqualTo(oldEpoch);

            s.messages.clear();
            s.subscribe(cluster.cometB(), true);
            assertThat(s.take()).isTrue();
            Recovery outcome = s.recoveries.get(0);
            assertThat(outcome.getRecovered()).isFalse();
            assertThat(outcome.getReason()).isEqualTo("epoch changed");
            assertThat(outcome.getPosition().getEpoch()).isEqualTo(watcher.last.getEpoch());
            List<String> live = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                live.add("swap-live-" + i);
                publishOnce(topic, "swap-live-" + i);
            }
            assertReceivedExactly(s, live);
        }
    }
}
