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

    void deliver(RoomBatch batch) {
        for (RoomMember member : members) {
            member.deliver(batch);
        }
    }
}
