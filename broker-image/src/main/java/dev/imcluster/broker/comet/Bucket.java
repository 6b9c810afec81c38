package dev.imcluster.broker.comet;

import java.util.concurrent.ConcurrentHashMap;

/**
 * One shard of comet's connections (goim's Bucket): connections by key, and the rooms their members are in.
 * Spreading them over buckets keeps map contention low when many connections come and go at once.
 */
final class Bucket {
    final ConcurrentHashMap<String, Connection> connections = new ConcurrentHashMap<>();
    final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
    /** Told of every join and leave (presence); set once at start. */
    volatile Membership membership;

    /** Hears members join and leave rooms, after the fact, on the joining or leaving thread. */
    interface Membership {
        void joined(String roomId, RoomMember member, long sinceMillis);

        void left(String roomId, RoomMember member, long sinceMillis);
    }

    /** Registers a connection; returns the one it replaces (same key), which the caller closes, as goim does. */
    Connection put(Connection connection) {
        return connections.put(connection.key(), connection);
    }

    void remove(Connection connection) {
        connections.remove(connection.key(), connection);
    }

    void join(String roomId, RoomMember member) {
        long now = System.currentTimeMillis();
        boolean[] added = new boolean[1];
        rooms.compute(roomId, (id, room) -> {
            Room r = room == null ? new Room(id) : room;
            added[0] = r.members.putIfAbsent(member, now) == null;
            return r;
        });
        Membership m = membership;
        if (added[0] && m != null) {
            m.joined(roomId, member, now);
        }
    }

    void leave(String roomId, RoomMember member) {
        Long[] since = new Long[1];
        rooms.computeIfPresent(roomId, (id, room) -> {
            since[0] = room.members.remove(member);
            return room.members.isEmpty() ? null : room;
        });
        Membership m = membership;
        if (since[0] != null && m != null) {
            m.left(roomId, member, since[0]);
        }
    }

    int online(String roomId) {
        Room room = rooms.get(roomId);
        return room == null ? 0 : room.members.size();
    }
}
