package dev.imcluster.broker.comet;

/** Something in a room: a goim connection ({@link Session}) or a gRPC topic subscriber. */
interface RoomMember {

    /** Hands a room batch to this member; must not block. The batch stays owned by the caller. */
    void deliver(RoomBatch batch);
}
