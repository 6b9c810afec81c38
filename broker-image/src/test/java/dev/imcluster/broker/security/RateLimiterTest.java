package dev.imcluster.broker.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.broker.config.RateLimitConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private static RateLimitConfig config(double rate, int burst, int maxKeys) {
        RateLimitConfig c = new RateLimitConfig();
        c.rate = rate;
        c.burst = burst;
        c.maxKeys = maxKeys;
        return c;
    }

    @Test
    void aCallerGetsItsBurstThenIsRefusedAndCounted() {
        // A rate of one per thousand seconds: no refill can happen during the test, whatever the machine's speed.
        RateLimiter limiter = new RateLimiter("t", config(0.001, 3, 100), meters);
        assertThat(limiter.tryAcquire("a")).isTrue();
        assertThat(limiter.tryAcquire("a")).isTrue();
        assertThat(limiter.tryAcquire("a")).isTrue();
        assertThat(limiter.tryAcquire("a")).isFalse();
        assertThat(limiter.tryAcquire("b")).as("callers are limited separately").isTrue();
        assertThat(meters.get("imcluster.rate.limited").tag("endpoint", "t").counter().count()).isEqualTo(1);
    }

    @Test
    void offByDefault() {
        RateLimiter limiter = new RateLimiter("t", new RateLimitConfig(), meters);
        for (int i = 0; i < 10_000; i++) {
            assertThat(limiter.tryAcquire("a")).isTrue();
        }
        assertThat(limiter.trackedKeys()).isZero();
    }

    @Test
    void remembersAtMostMaxKeysCallers() {
        RateLimiter limiter = new RateLimiter("t", config(1, 1, 1600), meters);
        for (int i = 0; i < 100_000; i++) {
            limiter.tryAcquire("caller-" + i);
        }
        assertThat(limiter.trackedKeys()).isLessThanOrEqualTo(1600);
        assertThat(meters.get("imcluster.rate.limiter.keys").tag("endpoint", "t").gauge().value())
                .isLessThanOrEqualTo(1600);
    }

    @Test
    void aBucketRefillsAtItsRate() {
        long[] now = {0};
        RateLimiter limiter = new RateLimiter("t", config(2, 2, 100), meters, () -> now[0]);
        assertThat(limiter.tryAcquire("a")).isTrue();
        assertThat(limiter.tryAcquire("a")).isTrue();
        assertThat(limiter.tryAcquire("a")).isFalse();
        now[0] += 500_000_000L; // half a second at 2 per second: one token back
        assertThat(limiter.tryAcquire("a")).isTrue();
        assertThat(limiter.tryAcquire("a")).isFalse();
        now[0] += 60_000_000_000L; // a minute: full again, never more than the burst
        assertThat(limiter.tryAcquire("a")).isTrue();
        assertThat(limiter.tryAcquire("a")).isTrue();
        assertThat(limiter.tryAcquire("a")).isFalse();
    }

    @Test
    void idleRefilledBucketsAreForgottenAsNewCallersArrive() {
        long[] now = {0};
        RateLimiter limiter = new RateLimiter("t", config(1, 5, 100_000), meters, () -> now[0]);
        for (int wave = 0; wave < 20; wave++) {
            for (int i = 0; i < 1000; i++) {
                limiter.tryAcquire("wave-" + wave + "-" + i);
            }
            now[0] += 5_000_000_000L; // burst 5 at 1 per second: every bucket of this wave is full again
        }
        assertThat(limiter.trackedKeys()).as("20,000 callers seen, far below maxKeys, but idle ones forgotten")
                .isLessThan(2000);
    }

    @Test
    void aBucketStillRefillingIsKept() {
        long[] now = {0};
        RateLimiter limiter = new RateLimiter("t", config(1, 5, 100_000), meters, () -> now[0]);
        for (int i = 0; i < 5; i++) {
            limiter.tryAcquire("busy");
        }
        now[0] += 1_000_000_000L; // one token back, four short: forgetting it would hand it a full bucket
        for (int i = 0; i < 100; i++) {
            limiter.tryAcquire("other-" + i);
        }
        assertThat(limiter.tryAcquire("busy")).isTrue();
        assertThat(limiter.tryAcquire("busy")).as("its bucket was remembered, not reset").isFalse();
    }
}
