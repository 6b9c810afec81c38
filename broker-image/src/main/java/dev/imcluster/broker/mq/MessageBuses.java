package dev.imcluster.broker.mq;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.mq.kafka.KafkaBus;
import dev.imcluster.broker.mq.memory.InMemoryBus;
import dev.imcluster.broker.mq.mqtt.MqttBus;
import dev.imcluster.broker.mq.nats.NatsJetStreamBus;
import dev.imcluster.broker.mq.redis.RedisStreamsBus;
import io.micrometer.core.instrument.MeterRegistry;
import javax.net.ssl.SSLContext;

/** Builds the queue named by {@code mq.backend}. */
public final class MessageBuses {
    private MessageBuses() {
    }

    public static MessageBus create(BrokerConfig config, MeterRegistry meters) {
        return create(config, config.mq.backend, meters, null);
    }

    /**
     * The bus of {@code backend}, from its section of {@code config.mq} (a swap's previous backend, for one);
     * {@code internalTls} is the internal TLS context for NATS and MQTT (Redis and Kafka read the files themselves).
     */
    public static MessageBus create(BrokerConfig config, dev.imcluster.broker.config.MqConfig.Backend backend,
                                    MeterRegistry meters, SSLContext internalTls) {
        return switch (backend) {
            case memory -> new InMemoryBus(meters);
            case kafka -> new KafkaBus(config, meters);
            case nats -> new NatsJetStreamBus(config, meters, internalTls);
            case redis -> new RedisStreamsBus(config, meters);
            case mqtt -> new MqttBus(config, meters, internalTls);
        };
    }
}
