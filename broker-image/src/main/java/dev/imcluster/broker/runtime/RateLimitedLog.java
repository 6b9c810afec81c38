package dev.imcluster.broker.runtime;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/** Logs at most once per interval, with the count of the messages it skipped, for hot paths. */
public final class RateLimitedLog {
    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong next = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    public RateLimitedLog(Logger log, long intervalMillis) {
        this.log = log;
        this.intervalNanos = intervalMillis * 1_000_000;
    }

    public void warn(String message) {
        long now = System.nanoTime();
        long due = next.get();
        if ((due == Long.MIN_VALUE || now - due >= 0) && next.compareAndSet(due, now + intervalNanos)) {
            long skipped = suppressed.getAndSet(0);
            log.warn(skipped == 0 ? message : message + " (" + skipped + " similar messages suppressed)");
        } else {
            suppressed.incrementAndGet();
        }
    }
}
