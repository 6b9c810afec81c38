package dev.imcluster.broker.mq.mqtt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.LogicConfig;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.mq.BusUnavailableException;
import dev.imcluster.broker.mq.Position;
import dev.imcluster.broker.testinfra.MosquittoServerProcess;
import dev.imcluster.broker.testinfra.RedisServerProcess;
import dev.imcluster.broker.testing.TestSupport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What only the MQTT bus has (the shared contract is MessageBusContractTest): positions that several publishers take
 * from one Redis sequence, and a publish that no subscription takes, which MQTT 5 reports and the bus refuses.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MqttBusTest {
    private static final AtomicInteger SEQ = new AtomicInteger();

    private MosquittoServerProcess mosquitto;
    private RedisServerProcess redis;

    @BeforeAll
    void start() {
        mosquitto = MosquittoServerProcess.launch();
        redis = RedisServerProcess.launch();
    }

    @AfterAll
    void stop() {
        TestSupport.closeQuietly(mosquitto);
        TestSupport.closeQuietly(redis);
    }

    private BrokerConfig config(String topic) {
        BrokerConfig c = new BrokerConfig();
        c.serverId = "mqtt-test-" + SEQ.incrementAndGet();
        c.mq.backend = MqConfig.Backend.mqtt;
        c.mq.mqtt.url = mosquitto.url();
        c.mq.mqtt.topic = topic;
        c.mq.publishTimeout = Duration.ofSeconds(3);
        c.mq.closeTimeout = Duration.ofSeconds(1);
        c.redis.address = redis.address();
        return c;
    }

    private static PushEnvelope envelope(String room) {
        return PushEnvelope.newBuilder().setType(PushEnvelope.Type.ROOM).setRoom(room).setOperation(1000)
                .setMsg(ByteString.copyFromUtf8("m")).setMsgId(UUID.randomUUID().toString()).build();
    }

    @Test
    void logicReplicasOverOneRedisNumberOneSequenceInOneEpoch() {
        String topic = "positions/" + SEQ.incrementAndGet();
        List<MqttBus> replicas = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                BrokerConfig c = config(topic);
                c.logic.sessionStore = LogicConfig.SessionStoreKind.redis;
                replicas.add(new MqttBus(c, new SimpleMeterRegistry(), null));
            }
            replicas.forEach(b -> await().atMost(Duration.ofSeconds(30)).until(b::healthy));
            MqttBus consumer = replicas.get(0);
            AtomicInteger handled = new AtomicInteger();
            consumer.subscribe("positions", e -> {
                handled.incrementAndGet();
                return CompletableFuture.completedFuture(null);
            });
            List<Position> positions = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                positions.add(replicas.get(i % 2).publish(envelope("room")).orTimeout(30, TimeUnit.SECONDS).join());
            }
            assertThat(positions).extracting(Position::epoch).containsOnly(positions.get(0).epoch());
            assertThat(positions.get(0).epoch()).startsWith("mqtt:" + topic + ":");
            assertThat(positions).extracting(Position::offset).isSorted().doesNotHaveDuplicates();
            await().atMost(Duration.ofSeconds(30)).until(() -> handled.get() == 20);
        } finally {
            replicas.forEach(TestSupport::closeQuietly);
        }
    }

    @Test
    void aPublishThatNoSubscriptionTakesFailsInsteadOfVanishing() {
        MqttBus bus = new MqttBus(config("nobody/" + SEQ.incrementAndGet()), new SimpleMeterRegistry(), null);
        try {
            await().atMost(Duration.ofSeconds(30)).until(bus::healthy);
            CompletableFuture<Position> publish = bus.publish(envelope("room"));
            Throwable error = org.assertj.core.api.Assertions.catchThrowable(() -> publish.get(30, TimeUnit.SECONDS));
            assertThat(error).isInstanceOf(ExecutionException.class).cause()
                    .isInstanceOf(BusUnavailableException.class).hasMessageContaining("no subscription");
        } finally {
            bus.close();
        }
    }

    private static PushEnvelope keyed(String key, int seq) {
        return PushEnvelope.newBuilder().setType(PushEnvelope.Type.PUSH).addKeys(key).setOperation(1000)
                .setMsg(ByteString.copyFromUtf8(Integer.toString(seq))).setMsgId(key + "-" + seq).build();
    }

    private static void publishAll(MqttBus publisher, List<PushEnvelope> batch) {
        batch.stream().map(publisher::publish).toList()
                .forEach(f -> f.orTimeout(30, TimeUnit.SECONDS).join());
    }

    /**
     * A member that crashes while holding messages, with more queued for its session, and whose replacement starts
     * under another name (a pod replaced on another node): the replacement adopts the gone member's session before
     * it consumes, so it handles all of it, each key in publish order, then its own messages; the session ends.
     */
    @ParameterizedTest
    @ValueSource(ints = {5, 3})
    void aMemberThatStartsUnderAnotherNameAdoptsTheSessionOfOneGoneWithoutClosing(int protocolVersion) {
        String topic = "adopt-start/" + SEQ.incrementAndGet();
        List<MqttBus> buses = new ArrayList<>();
        try {
            MqttBus publisher = bus(buses, topic, protocolVersion);
            MqttBus gone = bus(buses, topic, protocolVersion);
            java.util.Set<String> takenByGone = java.util.concurrent.ConcurrentHashMap.newKeySet();
            MqttGroupConsumer dying = (MqttGroupConsumer) gone.subscribe("adopt", e -> {
                takenByGone.add(e.getMsgId());
                return new CompletableFuture<>(); // holds them
            });
            List<PushEnvelope> before = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                before.add(keyed("k" + (i % 4), i));
            }
            publishAll(publisher, before);
            await().atMost(Duration.ofSeconds(30)).until(() -> takenByGone.size() == 16);
            dying.crash();
            // Published while no member is connected: queued in the gone member's session.
            List<PushEnvelope> meanwhile = new ArrayList<>();
            for (int i = 200; i < 300; i++) {
                meanwhile.add(keyed("k" + (i % 4), i));
            }
            publishAll(publisher, meanwhile);

            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            MqttBus replacement = bus(buses, topic, protocolVersion, meters);
            java.util.Map<String, List<Integer>> handled = new java.util.concurrent.ConcurrentHashMap<>();
            replacement.subscribe("adopt", e -> {
                handled.computeIfAbsent(e.getKeys(0), k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                        .add(Integer.parseInt(e.getMsg().toStringUtf8()));
                return CompletableFuture.completedFuture(null);
            });
            List<PushEnvelope> after = new ArrayList<>();
            for (int i = 300; i < 400; i++) {
                after.add(keyed("k" + (i % 4), i));
            }
            publishAll(publisher, after);

            await().atMost(Duration.ofSeconds(60)).until(() -> handled.values().stream().mapToInt(List::size).sum()
                    >= 400);
            for (int k = 0; k < 4; k++) {
                List<Integer> expected = new ArrayList<>();
                for (int i = k; i < 400; i += 4) {
                    expected.add(i);
                }
                assertThat(handled.get("k" + k)).as("key k%d: every message once, in publish order", k)
                        .containsExactlyElementsOf(expected);
            }
            await("the gone member's session adopted and ended").atMost(Duration.ofSeconds(30))
                    .until(() -> meters.counter("imcluster.mq.mqtt.sessions.adopted").count() == 1.0);
        } finally {
            buses.forEach(TestSupport::closeQuietly);
        }
    }

    /**
     * Two live members; one crashes holding messages: the other adopts its session at once and handles what it held
     * and what was queued for it, while new messages keep flowing to it.
     */
    @ParameterizedTest
    @ValueSource(ints = {5, 3})
    void aLiveMemberAdoptsTheSessionOfOneThatCrashed(int protocolVersion) {
        String topic = "adopt-live/" + SEQ.incrementAndGet();
        List<MqttBus> buses = new ArrayList<>();
        try {
            MqttBus publisher = bus(buses, topic, protocolVersion);
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            MqttBus survivor = bus(buses, topic, protocolVersion, meters);
            java.util.Map<String, AtomicInteger> handled = new java.util.concurrent.ConcurrentHashMap<>();
            survivor.subscribe("adopt", e -> {
                handled.computeIfAbsent(e.getMsgId(), k -> new AtomicInteger()).incrementAndGet();
                return CompletableFuture.completedFuture(null);
            });
            MqttBus gone = bus(buses, topic, protocolVersion);
            java.util.Set<String> takenByGone = java.util.concurrent.ConcurrentHashMap.newKeySet();
            MqttGroupConsumer dying = (MqttGroupConsumer) gone.subscribe("adopt", e -> {
                takenByGone.add(e.getMsgId());
                return new CompletableFuture<>();
            });
            List<PushEnvelope> batch = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                batch.add(keyed("k" + (i % 8), i));
            }
            publishAll(publisher, batch);
            await().atMost(Duration.ofSeconds(30)).until(() -> takenByGone.size() == 16);
            dying.crash();
            List<PushEnvelope> more = new ArrayList<>();
            for (int i = 300; i < 400; i++) {
                more.add(keyed("k" + (i % 8), i));
            }
            publishAll(publisher, more);

            List<String> published = java.util.stream.Stream.concat(batch.stream(), more.stream())
                    .map(PushEnvelope::getMsgId).toList();
            await().atMost(Duration.ofSeconds(60)).until(() -> handled.keySet().containsAll(published));
            assertThat(handled.keySet()).containsExactlyInAnyOrderElementsOf(published);
            await("the gone member's session adopted and ended").atMost(Duration.ofSeconds(30))
                    .until(() -> meters.counter("imcluster.mq.mqtt.sessions.adopted").count() == 1.0);
        } finally {
            buses.forEach(TestSupport::closeQuietly);
        }
    }

    private MqttBus bus(List<MqttBus> buses, String topic, int protocolVersion) {
        return bus(buses, topic, protocolVersion, new SimpleMeterRegistry());
    }

    private MqttBus bus(List<MqttBus> buses, String topic, int protocolVersion, SimpleMeterRegistry meters) {
        BrokerConfig c = config(topic);
        c.mq.mqtt.protocolVersion = protocolVersion;
        c.mq.maxInFlight = 16;
        MqttBus bus = new MqttBus(c, meters, null);
        buses.add(bus);
        await().atMost(Duration.ofSeconds(30)).until(bus::healthy);
        return bus;
    }
}
