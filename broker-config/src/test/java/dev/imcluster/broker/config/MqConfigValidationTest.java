package dev.imcluster.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The queue and Redis keys added for the real backends: defaults load, bad values are refused by name. */
class MqConfigValidationTest {

    private static final Map<String, String> GOIM = Map.of("IMCLUSTER__LOGIC__AUTH__MODE", "goim");

    @Test
    void defaultsOfTheBackendKeysLoad() {
        BrokerConfig c = ConfigLoader.parse("""
                logic:
                  auth:
                    mode: goim
                mq:
                  backend: kafka
                  kafka:
                    bootstrapServers: k:9092
                """, Map.of());
        assertThat(c.mq.maxInFlight).isEqualTo(1024);
        assertThat(c.mq.kafka.partitions).isEqualTo(12);
        assertThat(c.mq.kafka.deliveryTimeout).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.mq.nats.maxAge).isEqualTo(Duration.ofHours(24));
        assertThat(c.redis.commandTimeout).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void kafkaSettingsThatWouldBreakAtLeastOnceAreRefused() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                mq:
                  backend: kafka
                  kafka:
                    bootstrapServers: k:9092
                    deliveryTimeout: 500ms
                    properties:
                      acks: "1"
                      enable.auto.commit: "true"
                """, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("mq.kafka.properties.acks")
                .hasMessageContaining("mq.kafka.properties.enable.auto.commit")
                .hasMessageContaining("mq.kafka.deliveryTimeout: must be at least 2s");
    }

    @Test
    void badQueueValuesNameTheirKey() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                mq:
                  backend: nats
                  maxInFlight: 0
                  retryBackoff: 5s
                  retryBackoffMax: 1s
                  nats:
                    maxDeliver: 0
                    replicas: 7
                redis:
                  commandTimeout: 0s
                """, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("mq.maxInFlight")
                .hasMessageContaining("mq.retryBackoffMax: must not be less than mq.retryBackoff")
                .hasMessageContaining("mq.nats.maxDeliver")
                .hasMessageContaining("mq.nats.replicas")
                .hasMessageContaining("redis.commandTimeout");
    }

    @Test
    void aSwapsPreviousBackendComesFromItsOwnSectionAndIsValidatedToo() {
        BrokerConfig c = ConfigLoader.parse("""
                mq:
                  backend: nats
                  previous:
                    backend: kafka
                  nats:
                    url: nats://n:4222
                  kafka:
                    bootstrapServers: k:9092
                """, GOIM);
        assertThat(c.mq.previous.asBackend()).isEqualTo(MqConfig.Backend.kafka);
        assertThat(ConfigLoader.parse("mq: {backend: redis}", GOIM).mq.previous.asBackend()).isNull();
        assertThat(ConfigLoader.parse("mq: {backend: redis}", Map.of("IMCLUSTER__MQ__PREVIOUS__BACKEND", "nats", "IMCLUSTER__LOGIC__AUTH__MODE", "goim"))
                .mq.previous.asBackend()).isEqualTo(MqConfig.Backend.nats);

        assertThatThrownBy(() -> ConfigLoader.parse("""
                mq:
                  backend: redis
                  previous: {backend: kafka}
                """, GOIM))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mq.kafka.bootstrapServers: must be set");
        assertThatThrownBy(() -> ConfigLoader.parse("mq: {backend: redis, previous: {backend: redis}}", GOIM))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mq.previous.backend: must differ");
        assertThatThrownBy(() -> ConfigLoader.parse("mq: {backend: redis, previous: {backend: memory}}", GOIM))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mq.previous.backend");
    }

    @Test
    void mqttLoadsWithItsDefaultsAndBadValuesNameTheirKey() {
        BrokerConfig c = ConfigLoader.parse("""
                mq:
                  backend: mqtt
                  previous:
                    backend: redis
                  mqtt:
                    url: ssl://mqtt:8883
                    protocolVersion: 3
                """, GOIM);
        assertThat(c.mq.mqtt.topic).isEqualTo("goim/push");
        assertThat(c.mq.mqtt.clientIdPrefix).isEqualTo("imcluster");
        assertThat(c.mq.mqtt.keepalive).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.mq.previous.asBackend()).isEqualTo(MqConfig.Backend.redis);
        assertThat(ConfigLoader.parse("""
                mq:
                  backend: nats
                  previous:
                    backend: mqtt
                """, GOIM).mq.previous.asBackend()).isEqualTo(MqConfig.Backend.mqtt);

        assertThatThrownBy(() -> ConfigLoader.parse("""
                mq:
                  backend: mqtt
                  mqtt:
                    url: mqtt://broker:1883
                    protocolVersion: 4
                    topic: goim/#
                    clientIdPrefix: "im cluster"
                    passwordFile: /p
                    keepalive: 0s
                """, GOIM))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("mq.mqtt.url: must start with tcp:// or ssl://")
                .hasMessageContaining("mq.mqtt.protocolVersion")
                .hasMessageContaining("mq.mqtt.topic")
                .hasMessageContaining("mq.mqtt.clientIdPrefix")
                .hasMessageContaining("mq.mqtt.passwordFile: needs mq.mqtt.username")
                .hasMessageContaining("mq.mqtt.keepalive");
    }
}
