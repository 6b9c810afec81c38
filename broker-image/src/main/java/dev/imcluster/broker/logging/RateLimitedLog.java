package dev.imcluster.broker.logging;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * A warning logged at most {@code burst} times per period, then suppressed until the next period, whose first
 * line says how many were left out: for events a misbehaving client, a flood or an outage repeats many times a
 * second (hot paths, reconnect loops).
 */
public final class RateLimitedLog {
    private final Logger log;
    private final long periodNanos;
    private final int burst;
    private final AtomicLong periodStart = new AtomicLong(System.nanoTime());
    private final AtomicLong inPeriod = new AtomicLong();
    private final AtomicLong suppressed = new AtomicLong();

    public RateLimitedLog(Logger log, int burst, long period, TimeUnit unit) {
        this.log = log;
        this.burst = burst;
        this.periodNanos = unit.toNanos(period);
    }

    /** At most one line per period. */
    public RateLimitedLog(Logger log, long period, TimeUnit unit) {
        this(log, 1, period, unit);
    }

    public void warn(String format, Object... args) {
        long now = System.nanoTime();
        long start = periodStart.get();
        if (now - start >= periodNanos && periodStart.compareAndSet(start, now)) {
            inPeriod.set(0);
        }
        if (inPeriod.incrementAndGet() > burst) {
            suppressed.incrementAndGet();
            return;
        }
        long skipped = suppressed.getAndSet(0);
        if (skipped > 0) {
            log.warn(format + " (" + skipped + " similar messages suppressed before this one)", args);
        } else {
            log.warn(format, args);
        }
    }
}
