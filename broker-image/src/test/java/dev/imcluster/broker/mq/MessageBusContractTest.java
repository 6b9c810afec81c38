package dev.imcluster.broker.mq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.mq.kafka.KafkaBus;
import dev.imcluster.broker.mq.mqtt.MqttBus;
import dev.imcluster.broker.mq.nats.NatsJetStreamBus;
import dev.imcluster.broker.mq.redis.RedisStreamsBus;
import dev.imcluster.broker.testinfra.QueueServers;
import dev.imcluster.broker.testing.TestSupport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The behaviour every real queue backend must show, run against each over a real server: per-key order, group
 * semantics, at-least-once across a consumer dying, redelivery after a handler failure, and a queue outage
 * (publish fails promptly with BusUnavailableException, then everything recovers). One server per backend for
 * the whole class; each test uses its own topic/stream and group.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MessageBusContractTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final AtomicInteger SEQ = new AtomicInteger();

    /** MQTT is MQTT 5; MQTT_311 the same bus over MQTT 3.1.1. */
    enum Backend { KAFKA, NATS, REDIS, MQTT, MQTT_311 }

    private QueueServers servers;
    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);

    @BeforeAll
    void startServers() {
        servers = QueueServers.launch();
    }

    @AfterAll
    void stopServers() {
        timer.shutdownNow();
        TestSupport.closeQuietly(servers);
    }

    @AfterEach
    void closeBuses() {
        List<AutoCloseable> all = new ArrayList<>(open);
        Collections.reverse(all);
        all.forEach(TestSupport::closeQuietly);
        open.clear();
    }

    private BrokerConfig config(Backend backend) {
        int n = SEQ.incrementAndGet();
        BrokerConfig c = new BrokerConfig();
        c.serverId = "test-" + n;
        c.mq.backend = backend == Backend.MQTT_311 ? MqConfig.Backend.mqtt
                : MqConfig.Backend.valueOf(backend.name().toLowerCase());
        c.mq.mqtt.protocolVersion = backend == Backend.MQTT_311 ? 3 : 5;
        c.mq.maxInFlight = 64;
        c.mq.retryBackoff = Duration.ofMillis(50);
        c.mq.retryBackoffMax = Duration.ofMillis(500);
        c.mq.publishTimeout = Duration.ofSeconds(3);
        c.mq.closeTimeout = Duration.ofSeconds(1);
        c.mq.kafka.bootstrapServers = servers.kafka.bootstrapServers();
        c.mq.kafka.topic = "contract-" + n;
        c.mq.kafka.partitions = 4;
        c.mq.kafka.deliveryTimeout = Duration.ofSeconds(30);
        c.mq.nats.url = servers.nats.url();
        c.mq.nats.stream = "CONTRACT" + n;
        c.mq.nats.subject = "contract." + n;
        c.mq.nats.ackWait = Duration.ofSeconds(10);
        c.mq.redis.stream = "contract-" + n;
        c.mq.redis.claimIdle = Duration.ofSeconds(2);
        c.mq.mqtt.url = servers.mosquitto.url();
        c.mq.mqtt.topic = "contract/" + n;
        c.redis.address = servers.redis.address();
        c.redis.commandTimeout = Duration.ofSeconds(2);
        return c;
    }

    private MessageBus bus(Backend backend, BrokerConfig config) {
        return bus(backend, config, new SimpleMeterRegistry());
    }

    /** A bus of the backend, closed after the test, once it reports healthy. */
    private MessageBus bus(Backend backend, BrokerConfig config, SimpleMeterRegistry meters) {
        MessageBus bus = switch (backend) {
            case KAFKA -> new KafkaBus(config, meters);
            case NATS -> new NatsJetStreamBus(config, meters);
            case REDIS -> new RedisStreamsBus(config, meters);
            case MQTT, MQTT_311 -> {
                // Each bus is a process of its own: an MQTT group member's session is named after its serverId,
                // which the bus reads when it is made.
                config.serverId = "test-" + SEQ.incrementAndGet();
                yield new MqttBus(config, meters, null);
            }
        };
        open.add(bus);
        await("bus healthy").atMost(WAIT).until(bus::healthy);
        return bus;
    }

    private MessageBus.Subscription subscribe(MessageBus bus, String group, MessageBus.EnvelopeHandler handler) {
        MessageBus.Subscription s = bus.subscribe(group, handler);
        open.add(s);
        return s;
    }

    private static PushEnvelope envelope(String key, int seq) {
        return PushEnvelope.newBuilder()
                .setType(PushEnvelope.Type.PUSH)
                .addKeys(key)
                .setOperation(1000)
                .setMsg(ByteString.copyFrom(ByteBuffer.allocate(4).putInt(0, seq)))
                .setMsgId(UUID.randomUUID().toString())
                .setPublishedAtMicros(System.currentTimeMillis() * 1000)
                .build();
    }

    private static int seq(PushEnvelope e) {
        return e.getMsg().asReadOnlyByteBuffer().getInt(0);
    }

    /** Publishes and waits for the queue's acknowledgements; returns the msg_ids. */
    private static List<String> publishAll(MessageBus bus, List<PushEnvelope> envelopes) {
        List<CompletableFuture<Position>> acks = new ArrayList<>();
        for (PushEnvelope e : envelopes) {
            acks.add(bus.publish(e));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).orTimeout(60, TimeUnit.SECONDS).join();
        return envelopes.stream().map(PushEnvelope::getMsgId).toList();
    }

    private CompletableFuture<Void> completeLater() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        timer.schedule(() -> f.complete(null), ThreadLocalRandom.current().nextInt(0, 3), TimeUnit.MILLISECONDS);
        return f;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void keepsOrderPerKeyWhileKeysRunConcurrently(Backend backend) throws Exception {
        BrokerConfig config = config(backend);
        MessageBus bus = bus(backend, config);
        int keys = 16;
        int perKey = 40;
        Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> active = new ConcurrentHashMap<>();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        AtomicInteger running = new AtomicInteger();
        MessageBus.Subscription subscription = subscribe(bus, "order", e -> {
            String key = e.getKeys(0);
            // One call per key at a time; the next call may come before this one's future completes (pipelined).
            AtomicInteger calls = active.computeIfAbsent(key, k -> new AtomicInteger());
            if (calls.incrementAndGet() > 1) {
                overlaps.incrementAndGet();
            }
            maxConcurrent.accumulateAndGet(running.incrementAndGet(), Math::max);
            seen.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(seq(e));
            CompletableFuture<Void> done = completeLater().whenComplete((v, t) -> running.decrementAndGet());
            calls.decrementAndGet();
            return done;
        });
        // Four publisher threads, each owning some keys and interleaving them.
        List<CompletableFuture<Void>> publishers = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            int owner = p;
            publishers.add(CompletableFuture.runAsync(() -> {
                List<PushEnvelope> batch = new ArrayList<>();
                for (int s = 0; s < perKey; s++) {
                    for (int k = owner; k < keys; k += 4) {
                        batch.add(envelope("key-" + k, s));
                    }
                }
                publishAll(bus, batch);
            }));
        }
        CompletableFuture.allOf(publishers.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);

        await().atMost(WAIT).until(() -> seen.values().stream().mapToInt(List::size).sum() >= keys * perKey);
        List<Integer> expected = IntStream.range(0, perKey).boxed().toList();
        assertThat(seen).hasSize(keys);
        seen.forEach((key, order) -> assertThat(order).as("order of %s", key).isEqualTo(expected));
        assertThat(overlaps).as("two calls for one key at once").hasValue(0);
        assertThat(maxConcurrent.get()).as("different keys handled concurrently").isGreaterThan(1);
        await("the queue reports the group drained").atMost(WAIT)
                .until(() -> subscription.lag().isPresent() && subscription.lag().getAsLong() == 0);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void dropsAndCountsBytesThatAreNoEnvelope(Backend backend) {
        BrokerConfig config = config(backend);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        MessageBus bus = bus(backend, config, meters);
        Set<String> handled = ConcurrentHashMap.newKeySet();
        subscribe(bus, "garbage", e -> {
            handled.add(e.getMsgId());
            return CompletableFuture.completedFuture(null);
        });
        publishRaw(backend, config, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
        List<String> valid = publishAll(bus, List.of(envelope("after", 1)));

        await().atMost(WAIT).until(() -> handled.containsAll(valid));
        await().atMost(WAIT).until(() -> meters.find("imcluster.mq.dropped").tag("reason", "undecodable").counter() != null
                && meters.get("imcluster.mq.dropped").tag("reason", "undecodable").counter().count() == 1);
        assertThat(handled).containsExactlyElementsOf(valid);
    }

    /** Writes bytes to the backend's topic/subject/stream the way a foreign producer would. */
    private void publishRaw(Backend backend, BrokerConfig config, byte[] bytes) {
        switch (backend) {
            case KAFKA -> {
                Map<String, Object> props = Map.of("bootstrap.servers", servers.kafka.bootstrapServers());
                try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(props,
                        new org.apache.kafka.common.serialization.ByteArraySerializer(),
                        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(config.mq.kafka.topic,
                            "after".getBytes(), bytes)).get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            case NATS -> {
                try {
                    io.nats.client.Connection c = io.nats.client.Nats.connect(servers.nats.url());
                    try {
                        c.jetStream().publish(config.mq.nats.subject, bytes);
                    } finally {
                        c.close();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            case MQTT, MQTT_311 -> {
                try {
                    var client = new org.eclipse.paho.mqttv5.client.MqttClient(servers.mosquitto.url(), "raw-"
                            + SEQ.incrementAndGet(), new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
                    client.connect();
                    client.publish(config.mq.mqtt.topic, bytes, 1, false);
                    client.disconnect();
                    client.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            case REDIS -> {
                io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(
                        io.lettuce.core.RedisURI.create("127.0.0.1", servers.redis.port()));
                try (var c = client.connect(io.lettuce.core.codec.ByteArrayCodec.INSTANCE)) {
                    c.sync().xadd(config.mq.redis.stream.getBytes(), Map.of("e".getBytes(), bytes));
                } finally {
                    client.shutdown();
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void coreNatsModeDeliversThroughAQueueGroup() {
        BrokerConfig config = config(Backend.NATS);
        config.mq.nats.mode = MqConfig.NatsMode.core;
        MessageBus a = bus(Backend.NATS, config);
        MessageBus b = bus(Backend.NATS, config);
        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        MessageBus.EnvelopeHandler handler = e -> {
            handled.computeIfAbsent(e.getMsgId(), k -> new AtomicInteger()).incrementAndGet();
            return CompletableFuture.completedFuture(null);
        };
        subscribe(a, "core", handler);
        subscribe(b, "core", handler);
        // Core NATS keeps nothing: probe until one published after the subscriptions reached the server is handled.
        // Any probe counts, not only the newest: checking right after publishing would race its delivery.
        Set<String> probes = ConcurrentHashMap.newKeySet();
        await().atMost(WAIT).until(() -> {
            probes.addAll(publishAll(a, List.of(envelope("probe", 0))));
            return handled.keySet().stream().anyMatch(probes::contains);
        });
        handled.clear();
        List<PushEnvelope> batch = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            batch.add(envelope("k" + (i % 5), i));
        }
        List<String> published = publishAll(a, batch);
        await().atMost(WAIT).until(() -> handled.keySet().containsAll(published));
        assertThat(handled.values()).allSatisfy(n -> assertThat(n).as("one member of the queue group").hasValue(1));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void groupMembersSplitTheWorkAndEachMessageIsHandledOnce(Backend backend) {
        BrokerConfig config = config(backend);
        MessageBus publisher = bus(backend, config);
        MessageBus memberA = bus(backend, config);
        MessageBus memberB = bus(backend, config);
        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        Set<String> byA = ConcurrentHashMap.newKeySet();
        Set<String> byB = ConcurrentHashMap.newKeySet();
        subscribe(memberA, "split", e -> {
            byA.add(e.getMsgId());
            handled.computeIfAbsent(e.getMsgId(), k -> new AtomicInteger()).incrementAndGet();
            return completeLater();
        });
        subscribe(memberB, "split", e -> {
            byB.add(e.getMsgId());
            handled.computeIfAbsent(e.getMsgId(), k -> new AtomicInteger()).incrementAndGet();
            return completeLater();
        });
        List<String> published = warmUp(publisher, handled, byA, byB);
        assertThat(byA).as("member A got work").isNotEmpty();
        assertThat(byB).as("member B got work").isNotEmpty();
        assertThat(handled.keySet()).containsExactlyInAnyOrderElementsOf(published);
        assertThat(handled.values()).allSatisfy(n -> assertThat(n).as("times handled").hasValue(1));
    }

    /**
     * Publishes in rounds until both group members got work (Kafka assigns partitions after a rebalance); returns
     * what it published, once all of it was handled.
     */
    private static List<String> warmUp(MessageBus publisher, Map<String, AtomicInteger> handled, Set<String> byA,
                                       Set<String> byB) {
        List<String> published = new ArrayList<>();
        int round = 0;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while ((byA.isEmpty() || byB.isEmpty()) && System.nanoTime() < deadline) {
            List<PushEnvelope> batch = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                batch.add(envelope("k" + (i % 20), round * 40 + i));
            }
            round++;
            published.addAll(publishAll(publisher, batch));
            await().atMost(WAIT).until(() -> handled.keySet().containsAll(published));
        }
        return published;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void nothingIsLostWhenAConsumerDiesWithMessagesInFlight(Backend backend) {
        BrokerConfig config = config(backend);
        MessageBus publisher = bus(backend, config);
        MessageBus dying = bus(backend, config);
        Set<String> takenByDying = ConcurrentHashMap.newKeySet();
        // The dying consumer takes messages and never finishes them.
        MessageBus.Subscription dyingSubscription = subscribe(dying, "survive", e -> {
            takenByDying.add(e.getMsgId());
            return new CompletableFuture<>();
        });
        List<PushEnvelope> batch = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            batch.add(envelope("k" + (i % 30), i));
        }
        List<String> published = publishAll(publisher, batch);
        await().atMost(WAIT).until(() -> !takenByDying.isEmpty());
        await("lag shows the unfinished work").atMost(WAIT).until(() -> dyingSubscription.lag().orElse(0) > 0);

        MessageBus survivor = bus(backend, config);
        Set<String> handled = ConcurrentHashMap.newKeySet();
        MessageBus.Subscription survivorSubscription = subscribe(survivor, "survive", e -> {
            handled.add(e.getMsgId());
            return completeLater();
        });
        dying.close(); // its subscription stops with unacknowledged messages in flight

        await().atMost(WAIT).until(() -> handled.containsAll(published));
        assertThat(takenByDying).isNotEmpty();
        assertThat(handled).as("delivered by msg_id").containsAll(published);
        await("drained").atMost(WAIT).until(() -> survivorSubscription.lag().orElse(-1) == 0);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aLiveConsumerKeepsWhatItHoldsPastTheRedeliveryTimeout(Backend backend) {
        BrokerConfig config = config(backend);
        config.mq.nats.ackWait = Duration.ofSeconds(2);
        config.mq.redis.claimIdle = Duration.ofSeconds(2);
        MessageBus publisher = bus(backend, config);
        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        Set<String> byA = ConcurrentHashMap.newKeySet();
        Set<String> byB = ConcurrentHashMap.newKeySet();
        MessageBus.EnvelopeHandler handler = e -> {
            handled.computeIfAbsent(e.getMsgId(), k -> new AtomicInteger()).incrementAndGet();
            if (e.getKeys(0).equals("slow") && seq(e) == 0) {
                // Holds its key (and what queues behind it) for longer than ackWait / claimIdle.
                CompletableFuture<Void> f = new CompletableFuture<>();
                timer.schedule(() -> f.complete(null), 5, TimeUnit.SECONDS);
                return f;
            }
            return CompletableFuture.completedFuture(null);
        };
        subscribe(bus(backend, config), "hold", e -> {
            byA.add(e.getMsgId());
            return handler.handle(e);
        });
        subscribe(bus(backend, config), "hold", e -> {
            byB.add(e.getMsgId());
            return handler.handle(e);
        });
        // A stable group first (a Kafka rebalance during the hold legitimately redelivers; see BACKENDS.md).
        warmUp(publisher, handled, byA, byB);
        List<PushEnvelope> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            batch.add(envelope("slow", i));
            batch.add(envelope("fast-" + i, i));
        }
        List<String> published = publishAll(publisher, batch);

        await().atMost(WAIT).until(() -> handled.keySet().containsAll(published));
        // Only the held batch: a consumer that starts while another holds warm-up messages takes those over on
        // purpose (a restarted job hands on first what a dead one held; see the backends' consumers).
        assertThat(published).allSatisfy(id -> assertThat(handled.get(id)).as("handled once").hasValue(1));
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void everyMessageCarriesThePositionItsPublishReturnedEvenWhenRedelivered(Backend backend) {
        BrokerConfig config = config(backend);
        MessageBus bus = bus(backend, config);
        Map<String, Position> published = new ConcurrentHashMap<>();
        Map<String, List<Position>> received = new ConcurrentHashMap<>();
        Map<String, List<Long>> offsetsPerKey = new ConcurrentHashMap<>();
        subscribe(bus, "positions", e -> {
            List<Position> seen = received.computeIfAbsent(e.getMsgId(), k -> new CopyOnWriteArrayList<>());
            seen.add(new Position(e.getOffset(), e.getEpoch()));
            if (seen.size() == 1 && seq(e) % 4 == 0) {
                return CompletableFuture.failedFuture(new IllegalStateException("redeliver (test)"));
            }
            offsetsPerKey.computeIfAbsent(e.getKeys(0), k -> new CopyOnWriteArrayList<>()).add(e.getOffset());
            return CompletableFuture.completedFuture(null);
        });
        for (int i = 0; i < 40; i++) {
            PushEnvelope e = envelope("room-" + (i % 4), i);
            published.put(e.getMsgId(), bus.publish(e).orTimeout(30, TimeUnit.SECONDS).join());
        }
        await().atMost(WAIT).until(() -> offsetsPerKey.values().stream().mapToInt(List::size).sum() >= 40);
        published.forEach((id, position) -> {
            assertThat(position.known()).as("publish of %s returned a position", id).isTrue();
            assertThat(received.get(id)).as("every delivery of %s, redeliveries included", id)
                    .isNotEmpty().allSatisfy(p -> assertThat(p).isEqualTo(position));
        });
        offsetsPerKey.forEach((key, offsets) -> assertThat(offsets).as("offsets of %s", key).isSorted()
                .doesNotHaveDuplicates());
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void redeliversAfterHandlerFailureKeepingOrder(Backend backend) {
        BrokerConfig config = config(backend);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        MessageBus bus = bus(backend, config, meters);
        Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
        Map<String, List<Integer>> succeeded = new ConcurrentHashMap<>();
        subscribe(bus, "retry", e -> {
            int attempt = attempts.computeIfAbsent(e.getMsgId(), k -> new AtomicInteger()).incrementAndGet();
            if (seq(e) % 5 == 0 && attempt <= 2) {
                return CompletableFuture.failedFuture(new IllegalStateException("comet unreachable (test)"));
            }
            if (seq(e) % 7 == 0 && attempt == 1) {
                throw new IllegalStateException("handler threw (test)");
            }
            succeeded.computeIfAbsent(e.getKeys(0), k -> new CopyOnWriteArrayList<>()).add(seq(e));
            return CompletableFuture.completedFuture(null);
        });
        List<PushEnvelope> batch = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            batch.add(envelope("k" + (i % 3), i));
        }
        publishAll(bus, batch);

        await().atMost(WAIT).until(() -> succeeded.values().stream().mapToInt(List::size).sum() >= 60);
        for (PushEnvelope e : batch) {
            int expectedAttempts = seq(e) % 5 == 0 ? 3 : seq(e) % 7 == 0 ? 2 : 1;
            assertThat(attempts.get(e.getMsgId())).as("attempts of %d", seq(e)).hasValue(expectedAttempts);
        }
        succeeded.forEach((key, order) -> assertThat(order).isSorted().doesNotHaveDuplicates());
        assertThat(meters.get("imcluster.mq.redelivered").counter().count()).isGreaterThanOrEqualTo(12 * 2 + 7);
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void queueOutageFailsPublishPromptlyThenRecovers(Backend backend) throws Exception {
        BrokerConfig config = config(backend);
        config.mq.kafka.deliveryTimeout = Duration.ofSeconds(3); // how long Kafka may try before a publish fails
        MessageBus bus = bus(backend, config);
        Set<String> handled = ConcurrentHashMap.newKeySet();
        subscribe(bus, "outage", e -> {
            handled.add(e.getMsgId());
            return CompletableFuture.completedFuture(null);
        });
        List<String> before = publishAll(bus, List.of(envelope("a", 0), envelope("b", 1)));
        await().atMost(WAIT).until(() -> handled.containsAll(before));

        stopServer(backend);
        try {
            CompletableFuture<Position> failed = bus.publish(envelope("a", 2));
            Throwable error = org.assertj.core.api.Assertions.catchThrowable(() -> failed.get(30, TimeUnit.SECONDS));
            assertThat(error).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(BusUnavailableException.class).hasMessageContaining(bus.name());
            await("unhealthy while down").atMost(WAIT).until(() -> !bus.healthy());
        } finally {
            startServer(backend);
        }
        await("healthy again").atMost(WAIT).until(bus::healthy);

        List<String> after = new CopyOnWriteArrayList<>();
        await("publish accepted again").atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            PushEnvelope e = envelope("a", 3);
            try {
                bus.publish(e).get(30, TimeUnit.SECONDS);
                after.add(e.getMsgId());
                return true;
            } catch (ExecutionException retry) {
                return false;
            }
        });
        after.addAll(publishAll(bus, List.of(envelope("b", 4), envelope("c", 5))));
        await("consumer resumed").atMost(WAIT).until(() -> handled.containsAll(after));
    }

    private void stopServer(Backend backend) {
        switch (backend) {
            case KAFKA -> servers.kafka.stopBroker();
            case NATS -> servers.nats.stop();
            case REDIS -> servers.redis.stop();
            case MQTT, MQTT_311 -> servers.mosquitto.stop();
        }
    }

    private void startServer(Backend backend) {
        switch (backend) {
            case KAFKA -> servers.kafka.startBroker();
            case NATS -> servers.nats.start();
            case REDIS -> servers.redis.start();
            case MQTT, MQTT_311 -> servers.mosquitto.start();
        }
    }
}
