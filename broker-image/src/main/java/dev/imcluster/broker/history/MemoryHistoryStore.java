package dev.imcluster.broker.history;

import dev.imcluster.broker.api.internal.RoomMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * History in this process (standalone): lost with it, as the in-memory queue's epoch is. A room's record goes
 * once its entries are gone and its last append is older than ttl + a day, as Redis expires its meta key; appends
 * sweep all rooms at most once a minute, so rooms nobody reads again go too.
 */
public final class MemoryHistoryStore implements HistoryStore {

    private static final long RECORD_GRACE_MICROS = Duration.ofDays(1).toNanos() / 1000;
    private static final long SWEEP_EVERY_MICROS = Duration.ofMinutes(1).toNanos() / 1000;

    private final ConcurrentHashMap<String, RoomLog> rooms = new ConcurrentHashMap<>();
    private final HistoryMetrics metrics;
    private final LongSupplier nowMicros;
    private final AtomicLong nextSweepMicros = new AtomicLong(Long.MIN_VALUE);

    public MemoryHistoryStore(HistoryMetrics metrics) {
        this(metrics, () -> System.currentTimeMillis() * 1000);
    }

    MemoryHistoryStore(HistoryMetrics metrics, LongSupplier nowMicros) {
        this.metrics = metrics;
        this.nowMicros = nowMicros;
    }

    private static final class RoomLog {
        String epoch = "";
        long top;
        long floor;
        final Entries entries = new Entries();
        HistoryPolicy policy;
        long lastAppendMicros;
        /** Removed from the map: an append that still holds it must look the room up again. */
        boolean dropped;
    }

    @Override
    public CompletableFuture<Void> append(String room, List<RoomMessage> messages, HistoryPolicy policy,
                                          long floorIfNew, long lostUpTo) {
        if (messages.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        long now = nowMicros.getAsLong();
        while (!appendTo(rooms.computeIfAbsent(room, r -> new RoomLog()), messages, policy, floorIfNew, lostUpTo,
                now)) {
            // dropped by a sweep between the lookup and the lock: take the new record
        }
        sweepIfDue(now);
        return CompletableFuture.completedFuture(null);
    }

    private boolean appendTo(RoomLog log, List<RoomMessage> messages, HistoryPolicy policy, long floorIfNew,
                             long lostUpTo, long now) {
        synchronized (log) {
            if (log.dropped) {
                return false;
            }
            log.policy = policy;
            log.lastAppendMicros = now;
            String epoch = messages.get(0).getEpoch();
            if (!epoch.equals(log.epoch)) {
                metrics.evicted("epoch", log.entries.size());
                log.entries.clear();
                log.epoch = epoch;
                log.top = floorIfNew;
                log.floor = floorIfNew;
            }
            log.floor = Math.max(log.floor, lostUpTo);
            for (RoomMessage m : messages) {
                if (m.getOffset() > log.top) {
                    log.entries.addLast(m);
                    log.top = m.getOffset();
                    metrics.appended();
                } else if (m.getOffset() > log.floor && !holds(log, m.getOffset())) {
                    // Late (claimed from a dead consumer after newer ones): recovery across it must not claim it.
                    log.floor = m.getOffset();
                }
            }
            trim(log, policy, now);
            metrics.roomSize(log.entries.size());
            return true;
        }
    }

    private static boolean holds(RoomLog log, long offset) {
        int i = log.entries.firstAfter(offset - 1);
        return i < log.entries.size() && log.entries.get(i).getOffset() == offset;
    }

    @Override
    public CompletableFuture<HistoryPage> read(String room, long sinceOffset, int limit, HistoryPolicy policy) {
        RoomLog log = rooms.get(room);
        if (log == null) {
            return CompletableFuture.completedFuture(HistoryPage.EMPTY);
        }
        synchronized (log) {
            long now = nowMicros.getAsLong();
            trim(log, policy, now);
            if (dropIfExpired(room, log, policy, now)) {
                return CompletableFuture.completedFuture(HistoryPage.EMPTY);
            }
            int from = log.entries.firstAfter(sinceOffset);
            int to = limit == 0 ? log.entries.size() : (int) Math.min(log.entries.size(), (long) from + limit);
            List<RoomMessage> after = new ArrayList<>(Math.max(0, to - from));
            for (int i = from; i < to; i++) {
                after.add(log.entries.get(i));
            }
            return CompletableFuture.completedFuture(new HistoryPage(after, log.epoch, log.top, log.floor));
        }
    }

    private void sweepIfDue(long now) {
        long due = nextSweepMicros.get();
        if (now < due || !nextSweepMicros.compareAndSet(due, now + SWEEP_EVERY_MICROS)) {
            return;
        }
        rooms.forEach((room, log) -> {
            synchronized (log) {
                if (log.policy == null) {
                    return; // created by an append that has not taken the lock yet
                }
                trim(log, log.policy, now);
                dropIfExpired(room, log, log.policy, now);
            }
        });
    }

    /** Under the room's lock. */
    private boolean dropIfExpired(String room, RoomLog log, HistoryPolicy policy, long now) {
        if (!log.entries.isEmpty() || now - log.lastAppendMicros <= ttlMicros(policy) + RECORD_GRACE_MICROS) {
            return false;
        }
        log.dropped = true;
        rooms.remove(room, log);
        return true;
    }

    private static long ttlMicros(HistoryPolicy policy) {
        return policy.ttl().toNanos() / 1000;
    }

    int roomCount() {
        return rooms.size();
    }

    private void trim(RoomLog log, HistoryPolicy policy, long now) {
        long oldest = now - ttlMicros(policy);
        while (!log.entries.isEmpty() && (log.entries.size() > policy.size()
                || log.entries.peekFirst().getPublishedAtMicros() < oldest)) {
            RoomMessage gone = log.entries.pollFirst();
            log.floor = Math.max(log.floor, gone.getOffset());
            metrics.evicted(log.entries.size() >= policy.size() ? "size" : "ttl", 1);
        }
    }

    @Override
    public void close() {
        rooms.clear();
    }

    /**
     * A room's entries in offset order (offsets only grow within an epoch), in a ring that also finds by offset:
     * a read or a late message's check is a binary search, not a walk over the whole history.
     */
    static final class Entries {
        private RoomMessage[] ring = new RoomMessage[16];
        private int head;
        private int size;

        int size() {
            return size;
        }

        boolean isEmpty() {
            return size == 0;
        }

        RoomMessage get(int i) {
            return ring[(head + i) & (ring.length - 1)];
        }

        RoomMessage peekFirst() {
            return size == 0 ? null : ring[head];
        }

        void addLast(RoomMessage m) {
            if (size == ring.length) {
                RoomMessage[] bigger = new RoomMessage[ring.length * 2];
                for (int i = 0; i < size; i++) {
                    bigger[i] = get(i);
                }
                ring = bigger;
                head = 0;
            }
            ring[(head + size) & (ring.length - 1)] = m;
            size++;
        }

        RoomMessage pollFirst() {
            if (size == 0) {
                return null;
            }
            RoomMessage first = ring[head];
            ring[head] = null;
            head = (head + 1) & (ring.length - 1);
            size--;
            return first;
        }

        void clear() {
            java.util.Arrays.fill(ring, null);
            head = 0;
            size = 0;
        }

        /** The index of the first entry whose offset is above {@code offset} ({@link #size()} if none). */
        int firstAfter(long offset) {
            int lo = 0;
            int hi = size;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (get(mid).getOffset() > offset) {
                    hi = mid;
                } else {
                    lo = mid + 1;
                }
            }
            return lo;
        }
    }
}
