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
}
