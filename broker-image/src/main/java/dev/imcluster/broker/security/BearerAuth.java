package dev.imcluster.broker.security;

import dev.imcluster.broker.logging.RateLimitedLog;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requires {@code authorization: Bearer <token>} on a gRPC service, accepted by any of its checks (the internal
 * token, a client JWT). A refused call ends with UNAUTHENTICATED and the reason, is counted in
 * {@code imcluster_auth_rejected_total{endpoint,reason}} and logged (rate-limited) with the reason and the peer,
 * never the token. With no checks the service is open.
 */
public final class BearerAuth implements ServerInterceptor {
    /** Who made the current call: as a check named it, or {@code peer:<ip>} on an open service (per-caller limits). */
    public static final Context.Key<String> CALLER = Context.key("imcluster.caller");
    /** The accepted {@code authorization} header, for passing a client's credentials on (comet to logic). */
    public static final Context.Key<String> AUTHORIZATION = Context.key("imcluster.authorization");
    /** What the caller's token permits; absent (everything) for internal callers and open services. */
    public static final Context.Key<Permissions> PERMISSIONS = Context.key("imcluster.permissions");

    private static final Logger LOG = LoggerFactory.getLogger(BearerAuth.class);
    private static final RateLimitedLog REFUSALS = new RateLimitedLog(LOG, 20, 10, TimeUnit.SECONDS);

    /** One way to accept a token: returns the caller, or throws with the reason it is refused. */
    @FunctionalInterface
    public interface Check {
        Caller accept(String token) throws AuthException;
    }

    /** An accepted caller: its name (per-caller limits, logs) and what its token permits. */
    public record Caller(String name, Permissions permissions) {
    }

    /** What the current call's caller may do: its token's permissions, or everything (internal, open service). */
    public static Permissions permissions() {
        Permissions p = PERMISSIONS.get();
        return p == null ? Permissions.ALL : p;
    }

    private final String endpoint;
    private final List<Check> checks;
    private final MeterRegistry meters;
    private final Map<String, Counter> rejected = new ConcurrentHashMap<>();

    public BearerAuth(String endpoint, List<Check> checks, MeterRegistry meters) {
        this.endpoint = endpoint;
        this.checks = List.copyOf(checks);
        this.meters = meters;
    }

    /** Accepts the internal token (if configured) or a client JWT (if a verifier is given). */
    public static List<Check> checks(InternalToken internal, JwtVerifier jwt) {
        List<Check> checks = new ArrayList<>();
        if (internal != null) {
            checks.add(internalCheck(internal));
        }
        if (jwt != null) {
            checks.add(jwtCheck(jwt));
        }
        return checks;
    }

    public static Check internalCheck(InternalToken internal) {
        return token -> {
            if (!internal.matches(token)) {
                throw new AuthException("the bearer token is not this cluster's internal token");
            }
            return new Caller("internal", Permissions.ALL);
        };
    }

    /** A verified JWT; the caller is its {@code sub} (or {@code mid}), with the token's permissions. */
    public static Check jwtCheck(JwtVerifier jwt) {
        return token -> {
            JwtVerifier.Verified verified = jwt.verifyWithPermissions(token);
            var claims = verified.claims();
            String who = claims.hasNonNull("sub") ? claims.get("sub").asText()
                    : claims.hasNonNull("mid") ? claims.get("mid").asText() : "anonymous";
            return new Caller("jwt:" + who, verified.permissions());
        };
    }

    public boolean open() {
        return checks.isEmpty();
    }

    /** The service behind this check (which also names the caller, even when there is nothing to check). */
    public ServerServiceDefinition protect(BindableService service) {
        return ServerInterceptors.intercept(service, this);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        if (open()) {
            String caller = "peer:" + peer(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
            return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
        }
        String header = headers.get(Bearer.AUTHORIZATION);
        String token = Bearer.token(header);
        if (token == null) {
            return refuse(call, header == null ? "missing" : "malformed",
                    "an 'authorization: Bearer <token>' header is required");
        }
        String reason = null;
        for (Check check : checks) {
            try {
                Caller caller = check.accept(token);
                return Contexts.interceptCall(Context.current().withValue(CALLER, caller.name())
                        .withValue(PERMISSIONS, caller.permissions()).withValue(AUTHORIZATION, header),
                        call, headers, next);
            } catch (AuthException e) {
                reason = e.getMessage();
            }
        }
        return refuse(call, "invalid", reason);
    }

    private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String kind, String reason) {
        rejected.computeIfAbsent(kind, k -> Counter.builder("imcluster.auth.rejected")
                .description("Calls and requests refused for a missing or invalid bearer token")
                .tag("endpoint", endpoint).tag("reason", k).register(meters)).increment();
        REFUSALS.warn("{}: refused {} from {}: {}", endpoint, call.getMethodDescriptor().getFullMethodName(),
                peer(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)), reason);
        call.close(Status.UNAUTHENTICATED.withDescription(reason), new Metadata());
        return new ServerCall.Listener<>() { };
    }

    /** The peer's IP address, for logs and per-caller limits of unauthenticated services. */
    public static String peer(SocketAddress address) {
        return address instanceof InetSocketAddress a && a.getAddress() != null
                ? a.getAddress().getHostAddress() : String.valueOf(address);
    }
}
