package dev.imcluster.broker.history;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.LogicConfig;
import io.micrometer.core.instrument.MeterRegistry;

/** History is kept where sessions are: Redis with {@code logic.sessionStore: redis}, else this process. */
public final class HistoryStores {
    private HistoryStores() {
    }

    public static HistoryStore create(BrokerConfig config, MeterRegistry meters) {
        HistoryMetrics metrics = new HistoryMetrics(meters);
        return config.logic.sessionStore == LogicConfig.SessionStoreKind.redis
                ? new RedisHistoryStore(config, metrics) : new MemoryHistoryStore(metrics);
    }
}
