package dev.imcluster.broker.comet;

import java.util.concurrent.ConcurrentHashMap;

/**
 * One shard of comet's connections (goim's Bucket): sessions by key, and the rooms their members are in.
 * Spreading them over buckets keeps map contention low when many connections come and go at once.
 */
final class Bucket {
    final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
    final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();

    /** Registers a session; returns the one it replaces (same key), which the caller closes, as goim does. */
    Session put(Session session) {
        return sessions.put(session.key(), session);
    }

    void remove(Session session) {
        sessions.remove(session.key(), session);
    }

    void join(String roomId, RoomMember member) {
        rooms.compute(roomId, (id, room) -> {
            Room r = room == null ? new Room(id) : room;
            r.members.add(member);
            return r;
        });
    }

    void leave(String roomId, RoomMember member) {
        rooms.computeIfPresent(roomId, (id, room) -> {
            room.members.remove(member);
            return room.members.isEmpty() ? null : room;
        });
    }

    int online(String roomId) {
        Room room = rooms.get(roomId);
        return room == null ? 0 : room.members.size();
    }
}
