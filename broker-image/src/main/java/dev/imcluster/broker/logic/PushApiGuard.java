package dev.imcluster.broker.logic;

import dev.imcluster.broker.http.HttpServer;
import dev.imcluster.broker.http.HttpServer.Reply;
import dev.imcluster.broker.http.HttpServer.Request;
import dev.imcluster.broker.logging.RateLimitedLog;
import dev.imcluster.broker.security.Bearer;
import dev.imcluster.broker.security.InternalToken;
import dev.imcluster.broker.security.RateLimiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In front of logic's HTTP API: the internal token (401, counted in {@code imcluster_auth_rejected_total
 * {endpoint="logic_http"}}) when {@code security.internalTokenFile} is set, then {@code logic.pushRateLimit} per
 * remote address on the push paths (429, counted in {@code imcluster_rate_limited_total{endpoint="logic_http"}}).
 */
final class PushApiGuard implements HttpServer.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(PushApiGuard.class);
    private static final String ENDPOINT = "logic_http";

    private final InternalToken token;
    private final RateLimiter limiter;
    private final HttpServer.Handler next;
    private final Counter missing;
    private final Counter invalid;
    private final RateLimitedLog refusals = new RateLimitedLog(LOG, 20, 10, TimeUnit.SECONDS);

    PushApiGuard(InternalToken token, RateLimiter limiter, MeterRegistry meters, HttpServer.Handler next) {
        this.token = token;
        this.limiter = limiter;
        this.next = next;
        this.missing = rejected(meters, "missing");
        this.invalid = rejected(meters, "invalid");
    }

    private static Counter rejected(MeterRegistry meters, String reason) {
        return Counter.builder("imcluster.auth.rejected")
                .description("Calls and requests refused for a missing or invalid bearer token")
                .tag("endpoint", ENDPOINT).tag("reason", reason).register(meters);
    }

    @Override
    public CompletableFuture<Reply> handle(Request r) {
        if (token != null) {
            String presented = Bearer.token(r.authorization());
            if (presented == null || !token.matches(presented)) {
                (presented == null ? missing : invalid).increment();
                String why = presented == null ? "an 'Authorization: Bearer <token>' header is required"
                        : "the bearer token is not this cluster's internal token";
                refusals.warn("{}: refused {} {} from {}: {}", ENDPOINT, r.method(), r.path(), host(r), why);
                return CompletableFuture.completedFuture(LogicHttpApi.error(401, why));
            }
        }
        if (r.path().startsWith("/goim/push/") && !limiter.tryAcquire(host(r))) {
            return CompletableFuture.completedFuture(LogicHttpApi.error(429,
                    "push rate limit exceeded (logic.pushRateLimit); slow down"));
        }
        return next.handle(r);
    }

    private static String host(Request r) {
        return r.remote() == null || r.remote().getAddress() == null ? "unknown"
                : r.remote().getAddress().getHostAddress();
    }
}
