package dev.imcluster.broker.comet;

import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.pubsub.HistoryRequest;
import dev.imcluster.broker.api.pubsub.HistoryResponse;
import dev.imcluster.broker.api.pubsub.Recovery;
import dev.imcluster.broker.api.pubsub.StreamPosition;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A recovery from a position, for both ways of asking: gRPC Subscribe with {@code recover}
 * ({@link TopicSubscriber}) and goim RESUME ({@link Connection}). It reads logic's History after the position and
 * knows the outcome, the messages to replay and the seam: a live message at or before the last replayed
 * position (same epoch) was replayed already and must not be sent again.
 */
final class HistoryReplay {
    final String room;
    final boolean recovered;
    final String reason;
    /** Oldest first; empty unless recovered. */
    final List<SubscribeResponse> messages;
    /** The room's latest position per history when it was read (empty epoch: unknown or nothing published). */
    final StreamPosition latest;
    private final String seamEpoch;
    private final long seamOffset;

    private HistoryReplay(String room, boolean recovered, String reason, List<SubscribeResponse> messages,
                          StreamPosition latest, StreamPosition seam) {
        this.room = room;
        this.recovered = recovered;
        this.reason = reason;
        this.messages = messages;
        this.latest = latest;
        this.seamEpoch = seam == null ? null : seam.getEpoch();
        this.seamOffset = seam == null ? 0 : seam.getOffset();
    }

    /**
     * Reads what {@code room} retained after {@code since}; never fails: an unreachable history is an outcome
     * ("history unavailable: ..."), logged and counted like every other.
     */
    static CompletableFuture<HistoryReplay> read(CometContext comet, String room, StreamPosition since,
                                                 String authorization) {
        return comet.logic.history(HistoryRequest.newBuilder().setTopic(room).setSince(since).build(), authorization)
                .handle((history, error) -> {
                    HistoryReplay replay = of(room, since, history, error);
                    if (error != null) {
                        comet.recoveryLog.warn("recovery in room {} failed: {}", room, replay.reason);
                    }
                    comet.metrics.recovery(replay.recovered);
                    return replay;
                });
    }

    static HistoryReplay of(String room, StreamPosition since, HistoryResponse history, Throwable error) {
        if (error != null) {
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            return new HistoryReplay(room, false, "history unavailable: " + cause.getMessage(), List.of(),
                    StreamPosition.getDefaultInstance(), null);
        }
        if (!history.getComplete()) {
            return new HistoryReplay(room, false, history.getReason(), List.of(), history.getPosition(), null);
        }
        List<SubscribeResponse> replay = history.getMessagesList();
        StreamPosition seam = replay.isEmpty() ? since : StreamPosition.newBuilder()
                .setEpoch(since.getEpoch()).setOffset(replay.get(replay.size() - 1).getOffset()).build();
        return new HistoryReplay(room, true, history.getReason(), replay, history.getPosition(), seam);
    }

    /** The outcome as the topic API reports it (the first response of a recovering Subscribe). */
    Recovery outcome() {
        Recovery.Builder r = Recovery.newBuilder().setRecovered(recovered).setReason(reason).setPosition(latest);
        return recovered ? r.setReplayed(messages.size()).build() : r.build();
    }

    /** Already replayed: the same epoch at or before the last replayed offset. Always false when not recovered. */
    boolean replayed(RoomMessage m) {
        return seamEpoch != null && m.getEpoch().equals(seamEpoch) && m.getOffset() <= seamOffset;
    }

    /**
     * True when nothing from {@code m} on can be at or before the seam: a room's offsets only grow within an
     * epoch, and a new epoch starts after everything of the old one.
     */
    boolean pastSeam(RoomMessage m) {
        return seamEpoch == null || !m.getEpoch().equals(seamEpoch) || m.getOffset() > seamOffset;
    }
}
