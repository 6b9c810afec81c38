package dev.imcluster.broker.logic;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Unique message ids without coordination: this server's id, a random per-start epoch (so a restarted logic
 * never repeats an id) and a counter.
 */
final class MessageIds {
    private final String prefix;
    private final AtomicLong counter = new AtomicLong();

    MessageIds(String serverId) {
        this.prefix = serverId + "-" + Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36) + "-";
    }

    String next() {
        return prefix + Long.toString(counter.incrementAndGet(), 36);
    }
}
