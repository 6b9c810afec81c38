package dev.imcluster.broker.comet;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The members of one room within one bucket. */
final class Room {
    final String id;
    final Set<RoomMember> members = ConcurrentHashMap.newKeySet();

    Room(String id) {
        this.id = id;
    }

    /** Returns the frames queued, for the caller's queue-depth gauge (see {@link RoomMember#deliver}). */
    int deliver(RoomBatch batch) {
        int queued = 0;
        for (RoomMember member : members) {
            queued += member.deliver(batch);
        }
        return queued;
    }
}
