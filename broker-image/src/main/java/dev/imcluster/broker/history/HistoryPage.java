package dev.imcluster.broker.history;

import dev.imcluster.broker.api.internal.RoomMessage;
import java.util.List;

/**
 * What a read found: the messages after the asked offset, the room's latest position, and its floor (every
 * message above it is retained). {@code epoch} is empty when the room has no history (none kept, or expired).
 */
public record HistoryPage(List<RoomMessage> messages, String epoch, long top, long floor) {

    public static final HistoryPage EMPTY = new HistoryPage(List.of(), "", 0, 0);

    /** Why messages after ({@code offset}, {@code epoch}) cannot all be given, or null when they can. */
    public String incompleteAfter(long offset, String sinceEpoch) {
        if (this.epoch.isEmpty()) {
            return "no history for this topic";
        }
        if (!this.epoch.equals(sinceEpoch)) {
            return "epoch changed";
        }
        if (offset < floor) {
            return "position older than history";
        }
        if (offset > top) {
            return "position ahead of history";
        }
        return null;
    }
}
