package dev.imcluster.broker.comet;

/** Something in a room: a goim connection ({@link Connection}) or a gRPC topic subscriber. */
interface RoomMember {

    /**
     * Hands a room batch to this member; must not block. The batch stays owned by the caller. Returns the frames
     * it queued that the caller adds to the queue-depth gauge (once per fan-out, not per member), 0 when the
     * member counts its own.
     */
    int deliver(RoomBatch batch);

    /** Its connection key, as Presence lists it (generated for a gRPC subscriber). */
    String memberKey();

    /** Its user id, as Presence lists it (0 for a gRPC subscriber or a goim connection without one). */
    long memberMid();
}
