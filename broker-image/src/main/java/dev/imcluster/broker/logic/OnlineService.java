package dev.imcluster.broker.logic;

import dev.imcluster.broker.session.SessionStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Online counts: each comet reports its per-room counts (RenewOnline), stored per server with the session TTL;
 * the cluster-wide count of a room is the sum over live servers, computed from the store when asked.
 */
public final class OnlineService {

    /** goim's model.Top: a room id without its type prefix, and its count. */
    public record Top(String room_id, int count) {
    }

    private final SessionStore sessions;

    public OnlineService(SessionStore sessions) {
        this.sessions = sessions;
    }

    /** Stores one comet's counts and returns the sums across every comet. */
    public CompletableFuture<Map<String, Integer>> renew(String server, Map<String, Integer> roomCounts) {
        return sessions.addServerOnline(server, roomCounts).thenCompose(v -> allRooms());
    }

    /** Room id ({@code type://id}) to its count summed over all live comets. */
    public CompletableFuture<Map<String, Integer>> allRooms() {
        return sessions.onlineServers().thenCompose(servers -> {
            List<CompletableFuture<Map<String, Integer>>> counts = new ArrayList<>();
            servers.forEach(s -> counts.add(sessions.serverOnline(s)));
            return CompletableFuture.allOf(counts.toArray(CompletableFuture[]::new)).thenApply(v -> {
                Map<String, Integer> sum = new HashMap<>();
                counts.forEach(c -> c.join().forEach((room, n) -> sum.merge(room, n, Integer::sum)));
                return sum;
            });
        });
    }

    /** The {@code limit} biggest rooms of this type, biggest first (goim's OnlineTop). */
    public CompletableFuture<List<Top>> top(String type, int limit) {
        String prefix = type + "://";
        return allRooms().thenApply(rooms -> rooms.entrySet().stream()
                .filter(e -> e.getKey().startsWith(prefix))
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(limit)
                .map(e -> new Top(e.getKey().substring(prefix.length()), e.getValue()))
                .toList());
    }

    /** Room id (without the type) to count, for the rooms asked (goim's OnlineRoom). */
    public CompletableFuture<Map<String, Integer>> rooms(String type, List<String> roomIds) {
        return allRooms().thenApply(rooms -> {
            Map<String, Integer> result = new LinkedHashMap<>();
            roomIds.forEach(id -> result.put(id, rooms.getOrDefault(type + "://" + id, 0)));
            return result;
        });
    }

    /** Connections in rooms across the cluster. */
    public CompletableFuture<Long> totalConnections() {
        return allRooms().thenApply(rooms -> rooms.values().stream().mapToLong(Integer::longValue).sum());
    }
}
