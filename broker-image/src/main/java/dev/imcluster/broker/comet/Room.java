package dev.imcluster.broker.comet;

import java.util.concurrent.ConcurrentHashMap;

/** The members of one room within one bucket. */
final class Room {
    final String id;
    /** Member to when it joined (epoch millis, for presence). */
    final ConcurrentHashMap<RoomMember, Long> members = new ConcurrentHashMap<>();

    Room(String id) {
        this.id = id;
    }

    /** Returns the frames queued, for the caller's queue-depth gauge (see {@link RoomMember#deliver}). */
    int deliver(RoomBatch batch) {
        int queued = 0;
        for (RoomMember member : members.keySet()) {
            queued += member.deliver(batch);
        }
        return queued;
    }
}
