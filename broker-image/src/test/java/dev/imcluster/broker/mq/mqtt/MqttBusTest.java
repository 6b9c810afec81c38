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
}
