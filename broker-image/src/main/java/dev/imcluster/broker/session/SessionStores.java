package dev.imcluster.broker.session;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.session.memory.InMemorySessionStore;
import io.micrometer.core.instrument.MeterRegistry;

/** Builds the session store named by {@code logic.sessionStore}. */
public final class SessionStores {
    private SessionStores() {
    }

    public static SessionStore create(BrokerConfig config, MeterRegistry meters) {
        return switch (config.logic.sessionStore) {
            case memory -> new InMemorySessionStore(config.logic.sessionTtl);
            // The Redis store is wired here when it lands (issue 4).
            case redis -> throw new ConfigException("logic.sessionStore: 'redis' is not available in this build yet;"
                    + " use logic.sessionStore: memory");
        };
    }
}
