package dev.imcluster.broker.mq;

import dev.imcluster.broker.api.internal.PushEnvelope;

/**
 * A message's place in its room's stream: the backend's own sequence ({@code offset}) within an {@code epoch}
 * that names the sequence (backend, stream or partition, incarnation). Offsets of one room only grow within an
 * epoch, since a room always maps to one partition; a new epoch voids every earlier position.
 */
public record Position(long offset, String epoch) {

    /** For backends with no sequence (NATS core mode): no history, no recovery, dedupe by id only. */
    public static final Position NONE = new Position(0, "");

    public boolean known() {
        return !epoch.isEmpty();
    }

    public PushEnvelope stamp(PushEnvelope envelope) {
        return envelope.toBuilder().setOffset(offset).setEpoch(epoch).build();
    }

    /**
     * A Redis Streams id {@code ms-seq} as one number that keeps their order: ms in the upper bits, seq in the
     * lower 22 (ids of one millisecond beyond 4M would be out of range; XADD cannot produce that many).
     */
    public static long fromRedisId(String id) {
        int dash = id.indexOf('-');
        long ms = Long.parseLong(id, 0, dash, 10);
        long seq = Long.parseLong(id, dash + 1, id.length(), 10);
        if (seq >= 1L << 22) {
            throw new IllegalArgumentException("redis stream id " + id + " has a sequence beyond 2^22");
        }
        return ms << 22 | seq;
    }
}
