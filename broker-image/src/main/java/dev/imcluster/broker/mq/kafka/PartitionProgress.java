package dev.imcluster.broker.mq.kafka;

import java.util.TreeSet;

/**
 * What can be committed for one partition: records are tracked in offset order as they are handed out, and the
 * commit position is the lowest offset still in flight (or the one after the last tracked record), i.e. the
 * highest contiguous completed offset + 1. Completions come from handler threads.
 */
final class PartitionProgress {
    private final TreeSet<Long> inFlight = new TreeSet<>();
    private long next = -1;
    private long committed = -1;
    private volatile boolean owned = true;

    synchronized void track(long offset) {
        inFlight.add(offset);
        next = offset + 1;
    }

    synchronized void complete(long offset) {
        inFlight.remove(offset);
        if (inFlight.isEmpty()) {
            notifyAll();
        }
    }

    /** The fetch position went back to {@code offset} (a record was not handed out): it is not done. */
    synchronized void rewind(long offset) {
        if (next > offset) {
            next = offset;
        }
    }

    /** Offset to commit, or -1 if nothing was tracked yet. */
    synchronized long committable() {
        return inFlight.isEmpty() ? next : inFlight.first();
    }

    /** True if {@link #committable()} moved past the last commit. */
    synchronized boolean advanced() {
        long c = committable();
        return c >= 0 && c > committed;
    }

    synchronized void committed(long offset) {
        committed = Math.max(committed, offset);
    }

    synchronized int inFlightCount() {
        return inFlight.size();
    }

    /** Waits until nothing of this partition is in flight, up to {@code millis}. */
    synchronized boolean awaitIdle(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (!inFlight.isEmpty()) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    boolean owned() {
        return owned;
    }

    /** The partition went to another consumer: stop retrying its records and never ack them here. */
    void disown() {
        owned = false;
    }
}
