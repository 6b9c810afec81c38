package dev.imcluster.broker.security;

import dev.imcluster.broker.config.RateLimitConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A token bucket per caller ({@link RateLimitConfig}): {@code rate} per second, bursts of up to {@code burst}.
 * Memory is bounded: at most {@code maxKeys} callers are tracked, in stripes that forget their least recently
 * seen caller when full (a forgotten caller starts again with a full bucket, which errs on the side of letting
 * it through). Refusals are counted in {@code imcluster_rate_limited_total{endpoint}}.
 */
public final class RateLimiter {
    private static final int STRIPES = 16;

    private final boolean enabled;
    private final double perNano;
    private final double burst;
    private final Stripe[] stripes;
    private final Counter limited;

    public RateLimiter(String endpoint, RateLimitConfig config, MeterRegistry meters) {
        this.enabled = config.enabled();
        this.perNano = config.rate / 1e9;
        this.burst = config.burst;
        int perStripe = Math.max(1, config.maxKeys / STRIPES);
        this.stripes = new Stripe[STRIPES];
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe(perStripe);
        }
        this.limited = Counter.builder("imcluster.rate.limited").tag("endpoint", endpoint)
                .description("Messages refused by the per-caller publish rate limit").register(meters);
        Gauge.builder("imcluster.rate.limiter.keys", this, RateLimiter::trackedKeys).tag("endpoint", endpoint)
                .description("Callers the rate limiter currently tracks (bounded by maxKeys)").register(meters);
    }

    public boolean enabled() {
        return enabled;
    }

    /** True when {@code caller} may send one more message now; false (counted) when over its rate. */
    public boolean tryAcquire(String caller) {
        if (!enabled) {
            return true;
        }
        Stripe stripe = stripes[Math.floorMod(caller.hashCode(), STRIPES)];
        long now = System.nanoTime();
        boolean ok;
        synchronized (stripe) {
            Bucket b = stripe.get(caller);
            if (b == null) {
                b = new Bucket(burst, now);
                stripe.put(caller, b);
            }
            b.tokens = Math.min(burst, b.tokens + (now - b.last) * perNano);
            b.last = now;
            ok = b.tokens >= 1;
            if (ok) {
                b.tokens -= 1;
            }
        }
        if (!ok) {
            limited.increment();
        }
        return ok;
    }

    int trackedKeys() {
        int n = 0;
        for (Stripe s : stripes) {
            synchronized (s) {
                n += s.size();
            }
        }
        return n;
    }

    private static final class Bucket {
        double tokens;
        long last;

        Bucket(double tokens, long last) {
            this.tokens = tokens;
            this.last = last;
        }
    }

    /** Access-ordered, so the eldest entry is the least recently seen caller. */
    private static final class Stripe extends LinkedHashMap<String, Bucket> {
        private final int max;

        Stripe(int max) {
            super(16, 0.75f, true);
            this.max = max;
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
            return size() > max;
        }
    }
}
