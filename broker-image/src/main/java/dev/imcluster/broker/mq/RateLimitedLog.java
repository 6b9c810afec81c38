package dev.imcluster.broker.mq;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/** Logs a warning at most once per interval and says how many were suppressed in between (for hot paths). */
public final class RateLimitedLog {
    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong nextAt = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    public RateLimitedLog(Logger log, long interval, TimeUnit unit) {
        this.log = log;
        this.intervalNanos = unit.toNanos(interval);
    }

    public void warn(String format, Object... args) {
        long now = System.nanoTime();
        long next = nextAt.get();
        if ((next == Long.MIN_VALUE || now - next >= 0) && nextAt.compareAndSet(next, now + intervalNanos)) {
            long skipped = suppressed.getAndSet(0);
            log.warn(skipped == 0 ? format : format + " (" + skipped + " similar suppressed)", args);
        } else {
            suppressed.incrementAndGet();
        }
    }
}
