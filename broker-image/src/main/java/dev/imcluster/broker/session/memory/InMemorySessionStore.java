package dev.imcluster.broker.session.memory;

import dev.imcluster.broker.session.PresenceMember;
import dev.imcluster.broker.session.SessionStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * goim's session schema held in memory, for standalone (one logic): {@code mid -> {key -> server}},
 * {@code key -> server}, {@code server -> {room -> count}} and {@code room -> {member -> expiry}}, each entry expiring after the TTL unless renewed,
 * as goim's Redis keys do. Expired entries are removed lazily and by a sweep on writes.
 */
public final class InMemorySessionStore implements SessionStore {

    private record Timed<T>(T value, long expiresAt) {
    }

    private final long ttlNanos;
    private final LongSupplier clock;
    private final Map<String, Timed<String>> keys = new HashMap<>();
    private final Map<Long, Map<String, Timed<String>>> mids = new HashMap<>();
    private final Map<String, Timed<Map<String, Integer>>> online = new HashMap<>();
    /** Room to member to when it expires (the member's own TTL, given by its comet). */
    private final Map<String, Map<PresenceMember, Long>> presence = new HashMap<>();
    private long nextSweep;

    public InMemorySessionStore(Duration ttl) {
        this(ttl, System::nanoTime);
    }

    /** With an explicit clock (nanoseconds), for tests of expiry. */
    public InMemorySessionStore(Duration ttl, LongSupplier clock) {
        this.ttlNanos = ttl.toNanos();
        this.clock = clock;
        this.nextSweep = clock.getAsLong() + ttlNanos;
    }

    @Override
    public synchronized CompletableFuture<Void> addMapping(long mid, String key, String server) {
        long expires = expiry();
        keys.put(key, new Timed<>(server, expires));
        if (mid != 0) {
            mids.computeIfAbsent(mid, m -> new HashMap<>()).put(key, new Timed<>(server, expires));
        }
        return done(null);
    }

    @Override
    public synchronized CompletableFuture<Boolean> expireMapping(long mid, String key, String server) {
        long now = clock.getAsLong();
        boolean has = renew(keys, key, now);
        if (mid != 0) {
            Map<String, Timed<String>> byKey = mids.get(mid);
            has &= byKey != null && renew(byKey, key, now);
        }
        return done(has);
    }

    private boolean renew(Map<String, Timed<String>> map, String key, long now) {
        Timed<String> t = map.get(key);
        if (t == null || t.expiresAt() <= now) {
            map.remove(key);
            return false;
        }
        map.put(key, new Timed<>(t.value(), now + ttlNanos));
        return true;
    }

    @Override
    public synchronized CompletableFuture<Boolean> delMapping(long mid, String key, String server) {
        long now = clock.getAsLong();
        boolean has = live(keys.remove(key), now);
        if (mid != 0) {
            Map<String, Timed<String>> byKey = mids.get(mid);
            if (byKey != null) {
                has |= live(byKey.remove(key), now);
                if (byKey.isEmpty()) {
                    mids.remove(mid);
                }
            }
        }
        return done(has);
    }

    @Override
    public synchronized CompletableFuture<Map<String, String>> serversByKeys(Collection<String> wanted) {
        long now = clock.getAsLong();
        Map<String, String> result = new LinkedHashMap<>();
        for (String key : wanted) {
            Timed<String> t = keys.get(key);
            if (live(t, now)) {
                result.put(key, t.value());
            }
        }
        return done(result);
    }

    @Override
    public synchronized CompletableFuture<Map<String, String>> keysByMids(Collection<Long> wanted) {
        long now = clock.getAsLong();
        Map<String, String> result = new LinkedHashMap<>();
        for (Long mid : wanted) {
            Map<String, Timed<String>> byKey = mids.get(mid);
            if (byKey != null) {
                byKey.forEach((key, t) -> {
                    if (live(t, now)) {
                        result.put(key, t.value());
                    }
                });
            }
        }
        return done(result);
    }

    @Override
    public synchronized CompletableFuture<Void> addServerOnline(String server, Map<String, Integer> roomCounts) {
        online.put(server, new Timed<>(Map.copyOf(roomCounts), expiry()));
        return done(null);
    }

    @Override
    public synchronized CompletableFuture<Map<String, Integer>> serverOnline(String server) {
        Timed<Map<String, Integer>> t = online.get(server);
        return done(live(t, clock.getAsLong()) ? t.value() : Map.of());
    }

    @Override
    public synchronized CompletableFuture<List<String>> onlineServers() {
        long now = clock.getAsLong();
        List<String> servers = new ArrayList<>();
        online.forEach((server, t) -> {
            if (live(t, now)) {
                servers.add(server);
            }
        });
        return done(servers);
    }

    @Override
    public synchronized CompletableFuture<Void> addPresence(String room, Collection<PresenceMember> members,
                                                            Duration ttl) {
        expiry(); // sweeps when due
        long expires = clock.getAsLong() + ttl.toNanos();
        Map<PresenceMember, Long> byMember = presence.computeIfAbsent(room, r -> new HashMap<>());
        members.forEach(m -> byMember.put(m, expires));
        return done(null);
    }

    @Override
    public synchronized CompletableFuture<Boolean> removePresence(String room, PresenceMember member) {
        Map<PresenceMember, Long> byMember = presence.get(room);
        Long expires = byMember == null ? null : byMember.remove(member);
        if (byMember != null && byMember.isEmpty()) {
            presence.remove(room);
        }
        return done(expires != null && expires - clock.getAsLong() > 0);
    }

    @Override
    public synchronized CompletableFuture<List<PresenceMember>> presence(String room) {
        long now = clock.getAsLong();
        Map<PresenceMember, Long> byMember = presence.getOrDefault(room, Map.of());
        List<PresenceMember> members = new ArrayList<>();
        byMember.forEach((m, expires) -> {
            if (expires - now > 0) {
                members.add(m);
            }
        });
        members.sort(Comparator.comparingLong(PresenceMember::sinceMillis).thenComparing(PresenceMember::key));
        return done(members);
    }

    @Override
    public boolean healthy() {
        return true;
    }

    @Override
    public void close() {
    }

    /** Number of live key entries (tests, metrics). */
    public synchronized int size() {
        sweep(clock.getAsLong());
        return keys.size();
    }

    private long expiry() {
        long now = clock.getAsLong();
        if (now - nextSweep >= 0) {
            sweep(now);
            nextSweep = now + ttlNanos;
        }
        return now + ttlNanos;
    }

    private void sweep(long now) {
        keys.values().removeIf(t -> !live(t, now));
        mids.values().forEach(byKey -> byKey.values().removeIf(t -> !live(t, now)));
        mids.values().removeIf(Map::isEmpty);
        online.values().removeIf(t -> !live(t, now));
        presence.values().forEach(byMember -> byMember.values().removeIf(expires -> expires - now <= 0));
        presence.values().removeIf(Map::isEmpty);
    }

    private static boolean live(Timed<?> t, long now) {
        return t != null && t.expiresAt() - now > 0;
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }
}
