package dev.imcluster.broker.history;

import dev.imcluster.broker.api.internal.RoomMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** History in this process (standalone): lost with it, as the in-memory queue's epoch is. */
public final class MemoryHistoryStore implements HistoryStore {

    private final ConcurrentHashMap<String, RoomLog> rooms = new ConcurrentHashMap<>();
    private final HistoryMetrics metrics;
    private final LongSupplier nowMicros;

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
        final ArrayDeque<RoomMessage> entries = new ArrayDeque<>();
    }

    @Override
    public CompletableFuture<Void> append(String room, List<RoomMessage> messages, HistoryPolicy policy,
                                          long floorIfNew, long lostUpTo) {
        if (messages.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        RoomLog log = rooms.computeIfAbsent(room, r -> new RoomLog());
        synchronized (log) {
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
                }
            }
            trim(log, policy);
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<HistoryPage> read(String room, long sinceOffset, int limit, HistoryPolicy policy) {
        RoomLog log = rooms.get(room);
        if (log == null) {
            return CompletableFuture.completedFuture(HistoryPage.EMPTY);
        }
        synchronized (log) {
            trim(log, policy);
            List<RoomMessage> after = new ArrayList<>();
            for (RoomMessage m : log.entries) {
                if (m.getOffset() > sinceOffset && (limit == 0 || after.size() < limit)) {
                    after.add(m);
                }
            }
            return CompletableFuture.completedFuture(new HistoryPage(after, log.epoch, log.top, log.floor));
        }
    }

    private void trim(RoomLog log, HistoryPolicy policy) {
        long oldest = nowMicros.getAsLong() - policy.ttl().toNanos() / 1000;
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
}
