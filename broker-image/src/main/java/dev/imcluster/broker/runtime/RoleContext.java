package dev.imcluster.broker.runtime;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.history.HistoryStore;
import dev.imcluster.broker.mq.MessageBus;
import dev.imcluster.broker.security.InternalTls;
import dev.imcluster.broker.session.SessionStore;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What the process gives each role: its config, the metrics registry, the readiness checks, and the queue, the
 * session store and the history store (shared in-memory ones in standalone, real ones otherwise), and the internal
 * TLS (null when off). Roles own none of them: the process closes them after the roles.
 */
public record RoleContext(
        BrokerConfig config,
        String serverId,
        MeterRegistry meters,
        Health health,
        MessageBus bus,
        SessionStore sessions,
        HistoryStore history,
        InternalTls internalTls) {

    /** Without internal TLS. */
    public RoleContext(BrokerConfig config, String serverId, MeterRegistry meters, Health health, MessageBus bus,
                       SessionStore sessions, HistoryStore history) {
        this(config, serverId, meters, health, bus, sessions, history, null);
    }
}
