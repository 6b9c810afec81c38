package dev.imcluster.broker.mq;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.mq.memory.InMemoryBus;
import io.micrometer.core.instrument.MeterRegistry;

/** Builds the queue named by {@code mq.backend}. */
public final class MessageBuses {
    private MessageBuses() {
    }

    public static MessageBus create(BrokerConfig config, MeterRegistry meters) {
        return switch (config.mq.backend) {
            case memory -> new InMemoryBus(meters);
            // The real backends are wired here when they land (issue 4).
            case kafka, nats, redis -> throw new ConfigException("mq.backend: '" + config.mq.backend
                    + "' is not available in this build yet; use mq.backend: memory");
        };
    }
}
