package dev.imcluster.broker.history;

import dev.imcluster.broker.api.internal.RoomMessage;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The retained messages of each room with history (delivery.history), kept where sessions are
 * ({@code logic.sessionStore}): in Redis, so that it survives any role's restart, or in memory in a standalone
 * process. job appends a room's messages in order before it fans them out, so anything a client received is
 * already retained; logic reads for History and for recovery.
 * <p>Per room the store keeps the epoch of its entries, the latest offset, and the <em>floor</em>: every message
 * of the room with an offset above the floor is retained. The floor rises as messages are evicted (size, ttl) or
 * lost (an append that failed), so a read can say truthfully whether it holds everything after a position.
 */
public interface HistoryStore extends AutoCloseable {

    /**
     * Appends messages of one room, all of one epoch, in offset order. Offsets at or below the room's latest are
     * skipped (redeliveries). A new epoch, or a room with no record, starts over with floor = {@code floorIfNew}:
     * the offset of the message before the first one here when job saw it, or the first offset minus one.
     * {@code lostUpTo} (or -1) raises the floor past messages whose append failed earlier.
     */
    CompletableFuture<Void> append(String room, List<RoomMessage> messages, HistoryPolicy policy, long floorIfNew,
                                   long lostUpTo);

    /** The retained messages after {@code sinceOffset} (-1: all), oldest first, at most {@code limit} (0: all). */
    CompletableFuture<HistoryPage> read(String room, long sinceOffset, int limit, HistoryPolicy policy);

    @Override
    void close();
}
