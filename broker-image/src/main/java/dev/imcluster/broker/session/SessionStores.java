package dev.imcluster.broker.session;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.session.memory.InMemorySessionStore;
import dev.imcluster.broker.session.redis.RedisSessionStore;
import io.micrometer.core.instrument.MeterRegistry;

/** Builds the session store named by {@code logic.sessionStore}. */
public final class SessionStores {
    private SessionStores() {
    }

    public static SessionStore create(BrokerConfig config, MeterRegistry meters) {
        return switch (config.logic.sessionStore) {
            case memory -> new InMemorySessionStore(config.logic.sessionTtl);
            case redis -> new RedisSessionStore(config, meters);
        };
    }
}
