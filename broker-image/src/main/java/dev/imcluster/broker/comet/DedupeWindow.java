package dev.imcluster.broker.comet;

import java.util.HashSet;
import java.util.function.LongSupplier;

/**
 * Remembers recent message ids so that redeliveries (the queue is at-least-once) are dropped. Bounded both
 * ways: at most {@code size} ids, each for at most {@code windowNanos}; when full, the oldest id is forgotten
 * first. Called once per pushed message or room batch (not per recipient), so one lock is cheap enough.
 */
public final class DedupeWindow {
    private final int size;
    private final long windowNanos;
    private final LongSupplier clock;
    private final String[] ids;
    private final long[] seenAt;
    private final HashSet<String> index;
    private int head;
    private int count;

    public DedupeWindow(int size, long windowNanos) {
        this(size, windowNanos, System::nanoTime);
    }

    DedupeWindow(int size, long windowNanos, LongSupplier clock) {
        this.size = size;
        this.windowNanos = windowNanos;
        this.clock = clock;
        this.ids = new String[size];
        this.seenAt = new long[size];
        this.index = new HashSet<>(Math.max(16, size * 4 / 3 + 1));
    }

    /**
     * True the first time an id is offered within the window; false for a repeat. An empty id (a sender that
     * sets none) is never a repeat.
     */
    public synchronized boolean firstSeen(String id) {
        if (size == 0 || id == null || id.isEmpty()) {
            return true;
        }
        long now = clock.getAsLong();
        while (count > 0 && now - seenAt[head] > windowNanos) {
            evictOldest();
        }
        if (index.contains(id)) {
            return false;
        }
        if (count == size) {
            evictOldest();
        }
        int slot = (head + count) % size;
        ids[slot] = id;
        seenAt[slot] = now;
        index.add(id);
        count++;
        return true;
    }

    public synchronized int tracked() {
        return count;
    }

    private void evictOldest() {
        index.remove(ids[head]);
        ids[head] = null;
        head = (head + 1) % size;
        count--;
    }
}
