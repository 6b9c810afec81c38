package dev.imcluster.broker.security;

import dev.imcluster.broker.logging.RateLimitedLog;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a client's {@link Permissions} for one role: a refusal is counted in
 * {@code imcluster_<role>_permission_denied_total{action}} and logged (rate-limited) with who, what and where.
 * The connection or stream of the refused client stays up; only the action is refused.
 */
public final class PermissionGate {
    private static final Logger LOG = LoggerFactory.getLogger(PermissionGate.class);
    private static final RateLimitedLog DENIALS = new RateLimitedLog(LOG, 20, 10, TimeUnit.SECONDS);

    private final String role;
    private final Map<Permissions.Action, Counter> denied = new EnumMap<>(Permissions.Action.class);

    public PermissionGate(String role, MeterRegistry meters) {
        this.role = role;
        for (Permissions.Action a : Permissions.Action.values()) {
            denied.put(a, Counter.builder("imcluster." + role + ".permission.denied").tag("action", a.tag())
                    .description("Client actions on topics refused by the token's permissions").register(meters));
        }
    }

    /** True when allowed; otherwise counts and logs the refusal of {@code who} (a key, a caller, a peer). */
    public boolean allows(Permissions permissions, Permissions.Action action, String topic, Object who) {
        if (permissions.allows(action, topic)) {
            return true;
        }
        denied.get(action).increment();
        DENIALS.warn("{}: refused {} of '{}' by {}: not in the token's permissions ({})", role, action.tag(), topic,
                who, permissions);
        return false;
    }

    /**
     * For a gRPC call: null when the current caller ({@link BearerAuth#permissions()}) may, else PERMISSION_DENIED
     * naming the action and the topic (counted and logged).
     */
    public StatusRuntimeException checkCall(Permissions.Action action, String topic) {
        if (allows(BearerAuth.permissions(), action, topic, BearerAuth.CALLER.get())) {
            return null;
        }
        return Status.PERMISSION_DENIED.withDescription(Permissions.denial(action, topic)).asRuntimeException();
    }
}
