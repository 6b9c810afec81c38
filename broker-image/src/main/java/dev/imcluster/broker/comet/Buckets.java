package dev.imcluster.broker.comet;

import dev.imcluster.broker.api.internal.PresenceMember;
import dev.imcluster.broker.api.internal.RoomPresence;
import dev.imcluster.broker.session.Presence;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/** All buckets of this comet, the room fan-out across them, and the room online counts. */
final class Buckets {
    private final Bucket[] buckets;
    /** Cluster-wide counts per room from logic's last RenewOnline reply. */
    private volatile Map<String, Integer> clusterOnline = Collections.emptyMap();

    Buckets(int count) {
        buckets = new Bucket[count];
        for (int i = 0; i < count; i++) {
            buckets[i] = new Bucket();
        }
    }

    Bucket forKey(String key) {
        int h = key.hashCode();
        h ^= h >>> 16;
        return buckets[Math.floorMod(h * 0x9E3779B9, buckets.length)];
    }

    Connection connection(String key) {
        return forKey(key).connections.get(key);
    }

    void forEachConnection(Consumer<Connection> action) {
        for (Bucket b : buckets) {
            b.connections.values().forEach(action);
        }
    }

    /** Hands the batch to every member of the room, goim or gRPC; returns nothing, members count themselves. */
    void deliverToRoom(String roomId, RoomBatch batch, CometMetrics metrics) {
        int queued = 0;
        for (Bucket b : buckets) {
            Room room = b.rooms.get(roomId);
            if (room != null) {
                queued += room.deliver(batch);
            }
        }
        metrics.queued.add(queued); // once per fan-out: a LongAdder per member per batch showed in the profile
    }

    /** This comet's members per room. */
    Map<String, Integer> roomCounts() {
        Map<String, Integer> counts = new HashMap<>();
        for (Bucket b : buckets) {
            b.rooms.forEach((id, room) -> counts.merge(id, room.members.size(), Integer::sum));
        }
        counts.values().removeIf(n -> n == 0);
        return counts;
    }

    /** Tells {@code membership} of every join and leave from now on. */
    void listen(Bucket.Membership membership) {
        for (Bucket b : buckets) {
            b.membership = membership;
        }
    }

    /** This comet's members of the rooms that {@code tracked} matches, for logic's presence. */
    List<RoomPresence> presence(Presence tracked) {
        Map<String, RoomPresence.Builder> byRoom = new HashMap<>();
        for (Bucket b : buckets) {
            b.rooms.forEach((id, room) -> {
                if (tracked.tracks(id)) {
                    RoomPresence.Builder r = byRoom.computeIfAbsent(id, i -> RoomPresence.newBuilder().setRoom(i));
                    room.members.forEach((member, since) -> r.addMembers(PresenceMember.newBuilder()
                            .setKey(member.memberKey()).setMid(member.memberMid()).setSinceMillis(since)));
                }
            });
        }
        List<RoomPresence> rooms = new ArrayList<>(byRoom.size());
        byRoom.values().forEach(r -> rooms.add(r.build()));
        return rooms;
    }

    int roomCount() {
        Set<String> ids = new HashSet<>();
        for (Bucket b : buckets) {
            ids.addAll(b.rooms.keySet());
        }
        return ids.size();
    }

    /** goim's Room.OnlineNum: the cluster-wide count when logic has reported one, else this comet's. */
    int online(String roomId) {
        Integer all = clusterOnline.get(roomId);
        if (all != null && all > 0) {
            return all;
        }
        int local = 0;
        for (Bucket b : buckets) {
            local += b.online(roomId);
        }
        return local;
    }

    void clusterOnline(Map<String, Integer> counts) {
        clusterOnline = Map.copyOf(counts);
    }
}
