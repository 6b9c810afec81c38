package dev.imcluster.broker.mq;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter: initial, doubling per attempt, capped at max. */
public record Backoff(Duration initial, Duration max) {

    /** Delay before attempt {@code attempt + 1}, after {@code attempt} failures (1-based). */
    public Duration delay(int attempt) {
        long base = initial.toMillis();
        long cap = max.toMillis();
        long exp = attempt >= 31 ? cap : Math.min(cap, base * (1L << Math.max(0, attempt - 1)));
        // +-20% jitter so that replicas retrying the same outage do not move in lockstep.
        long jitter = (long) (exp * 0.2 * (ThreadLocalRandom.current().nextDouble() * 2 - 1));
        return Duration.ofMillis(Math.max(1, Math.min(cap, exp + jitter)));
    }
}
