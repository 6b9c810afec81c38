package dev.imcluster.broker.security;

import dev.imcluster.broker.config.RateLimitConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A token bucket per caller ({@link RateLimitConfig}): {@code rate} per second, bursts of up to {@code burst}.
 * Memory is bounded: at most {@code maxKeys} callers are tracked (about 150 bytes each), in stripes that forget
 * their least recently seen caller when full (a forgotten caller starts again with a full bucket, which errs on
 * the side of letting it through). Idle buckets go sooner: each new caller also evicts the least recently seen
 * one if its bucket has refilled, since forgetting a full bucket changes nothing. Refusals are counted in
 * {@code imcluster_rate_limited_total{endpoint}}.
 */
public final class RateLimiter {
    private static final int STRIPES = 16;

    private final boolean enabled;
    private final double perNano;
    private final double burst;
    /** After this long unused a bucket is full again, so it can be forgotten. */
    private final long refilledAfterNanos;
    private final Stripe[] stripes;
    private final Counter limited;

    private final LongSupplier nanoClock;

    public RateLimiter(String endpoint, RateLimitConfig config, MeterRegistry meters) {
        this(endpoint, config, meters, System::nanoTime);
    }

    /** With a given clock, so that tests can refill buckets without waiting. */
    RateLimiter(String endpoint, RateLimitConfig config, MeterRegistry meters, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.enabled = config.enabled();
        this.perNano = config.rate / 1e9;
        this.burst = config.burst;
        this.refilledAfterNanos = config.enabled() ? (long) Math.ceil(config.burst / perNano) : 0;
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
        long now = nanoClock.getAsLong();
        boolean ok;
        synchronized (stripe) {
            Bucket b = stripe.get(caller);
            if (b == null) {
                b = new Bucket(burst, now);
                stripe.now = now;
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
    private final class Stripe extends LinkedHashMap<String, Bucket> {
        private final int max;
        /** The time of the put that may evict. */
        long now;

        Stripe(int max) {
            super(16, 0.75f, true);
            this.max = max;
        }

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
            return size() > max || (size() > 1 && now - eldest.getValue().last >= refilledAfterNanos);
        }
    }
}
