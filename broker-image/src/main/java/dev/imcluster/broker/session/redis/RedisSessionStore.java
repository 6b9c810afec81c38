package dev.imcluster.broker.session.redis;

import dev.imcluster.broker.logging.RateLimitedLog;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.redis.LazyRedisConnection;
import dev.imcluster.broker.redis.RedisClients;
import dev.imcluster.broker.session.PresenceMember;
import dev.imcluster.broker.session.SessionStore;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Range;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions in Redis with goim's schema: {@code mid_{mid}} is a hash of key to server, {@code key_{key}} holds the
 * server; both expire after {@code logic.sessionTtl} unless renewed. Online counts: {@code ol_{server}} is a
 * plain hash of room to count (goim stores sharded JSON there; a hash is simpler and readable with HGETALL),
 * and the sorted set {@value #SERVERS_KEY} lists reporting servers, scored by when their report expires.
 * Presence: the sorted set {@code presence:{room}} holds one entry per member ({@code server, mid, since, key}
 * separated by newlines), scored by when it expires; a comet's report re-adds its members with a new score, a
 * leave removes the entry, reads drop expired entries first. The key itself expires with its latest entry, so an
 * abandoned room leaves nothing behind. (One set per room rather than a hash per room and comet: a read is one
 * key, and entries of a dead comet expire one by one without a list of comets.)
 * Commands are pipelined on one auto-reconnecting connection; lookups are batched (MGET, concurrent HGETALL).
 * While Redis is down every call fails at once with an error naming it (rooms and topics need no session).
 */
public final class RedisSessionStore implements SessionStore {
    private static final Logger LOG = LoggerFactory.getLogger(RedisSessionStore.class);
    static final String SERVERS_KEY = "ol_servers";
    /** KEYS[1] the room's set; ARGV[1] ttl ms, ARGV[2] now ms, then the entries. The key outlives every entry. */
    private static final String ADD_PRESENCE = """
            local ttl = tonumber(ARGV[1])
            local expires = tonumber(ARGV[2]) + ttl
            for i = 3, #ARGV do
              redis.call('ZADD', KEYS[1], expires, ARGV[i])
            end
            if redis.call('PTTL', KEYS[1]) < ttl then
              redis.call('PEXPIRE', KEYS[1], ttl)
            end
            return #ARGV - 2
            """;

    private final LazyRedisConnection<String, String> connection;
    private final String name;
    private final long ttlSeconds;
    private final RateLimitedLog dataLog = new RateLimitedLog(LOG, 30, TimeUnit.SECONDS);

    /**
     * Connects to {@code redis.address} (database, TLS, password from {@code redis.passwordFile} or
     * {@value RedisClients#PASSWORD_ENV}). A refused password fails here; Redis being down does not.
     */
    public RedisSessionStore(BrokerConfig config, MeterRegistry meters) {
        this.ttlSeconds = Math.max(1, config.logic.sessionTtl.toSeconds());
        this.name = "session Redis " + RedisClients.where(config.redis);
        this.connection = new LazyRedisConnection<>(RedisClients.client(config.redis, config.security.internalTls, null), StringCodec.UTF8, name);
        Gauge.builder("imcluster.session.store.up", this, s -> s.healthy() ? 1 : 0)
                .description("1 while the session store is reachable").tag("store", "redis").register(meters);
    }

    /**
     * Runs {@code call} on the connection. Every failure becomes a failed future with an IllegalStateException
     * naming this Redis ("session Redis host:port unavailable: ..."), never a throw.
     */
    private <T> CompletableFuture<T> with(Function<RedisAsyncCommands<String, String>, CompletableFuture<T>> call) {
        CompletableFuture<T> result;
        try {
            result = call.apply(connection.get().async());
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        return result.handle((value, error) -> {
            if (error == null) {
                return value;
            }
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            if (cause instanceof IllegalStateException named && String.valueOf(named.getMessage()).startsWith(name)) {
                throw new java.util.concurrent.CompletionException(named);
            }
            throw new java.util.concurrent.CompletionException(
                    new IllegalStateException(name + " unavailable: " + cause.getMessage(), cause));
        });
    }

    private static String midKey(long mid) {
        return "mid_" + mid;
    }

    private static String keyKey(String key) {
        return "key_" + key;
    }

    private static String onlineKey(String server) {
        return "ol_" + server;
    }

    private static <T> CompletableFuture<T> cf(RedisFuture<T> f) {
        return f.toCompletableFuture();
    }

    @Override
    public CompletableFuture<Void> addMapping(long mid, String key, String server) {
        return with(r -> {
            List<CompletableFuture<?>> all = new ArrayList<>(3);
            if (mid > 0) {
                all.add(cf(r.hset(midKey(mid), key, server)));
                all.add(cf(r.expire(midKey(mid), ttlSeconds)));
            }
            all.add(cf(r.set(keyKey(key), server, SetArgs.Builder.ex(ttlSeconds))));
            return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
        });
    }

    @Override
    public CompletableFuture<Boolean> expireMapping(long mid, String key, String server) {
        return with(r -> {
            CompletableFuture<Boolean> midOk = mid > 0 ? cf(r.expire(midKey(mid), ttlSeconds))
                    : CompletableFuture.completedFuture(true);
            CompletableFuture<Boolean> keyOk = cf(r.expire(keyKey(key), ttlSeconds));
            return midOk.thenCombine(keyOk, (a, b) -> Boolean.TRUE.equals(a) && Boolean.TRUE.equals(b));
        }).thenCompose(has -> has ? CompletableFuture.completedFuture(true)
                : addMapping(mid, key, server).thenApply(v -> false)); // gone: written again, as goim does
    }

    @Override
    public CompletableFuture<Boolean> delMapping(long mid, String key, String server) {
        return with(r -> {
            CompletableFuture<Long> fromMid = mid > 0 ? cf(r.hdel(midKey(mid), key))
                    : CompletableFuture.completedFuture(0L);
            CompletableFuture<Long> fromKey = cf(r.del(keyKey(key)));
            return fromMid.thenCombine(fromKey, (a, b) -> a + b > 0);
        });
    }

    @Override
    public CompletableFuture<Map<String, String>> serversByKeys(Collection<String> keys) {
        if (keys.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        String[] redisKeys = keys.stream().map(RedisSessionStore::keyKey).toArray(String[]::new);
        return with(r -> cf(r.mget(redisKeys))).thenApply(values -> {
            Map<String, String> out = new LinkedHashMap<>();
            for (KeyValue<String, String> kv : values) {
                if (kv.hasValue()) {
                    out.put(kv.getKey().substring("key_".length()), kv.getValue());
                }
            }
            return out;
        });
    }

    @Override
    public CompletableFuture<Map<String, String>> keysByMids(Collection<Long> mids) {
        if (mids.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        return with(r -> {
            List<CompletableFuture<Map<String, String>>> all = new ArrayList<>(mids.size());
            for (long mid : mids) {
                all.add(cf(r.hgetall(midKey(mid)))); // pipelined: all are written before any reply is awaited
            }
            return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> {
                Map<String, String> out = new LinkedHashMap<>();
                all.forEach(f -> out.putAll(f.join()));
                return out;
            });
        });
    }

    @Override
    public CompletableFuture<Void> addServerOnline(String server, Map<String, Integer> roomCounts) {
        long expiresAt = System.currentTimeMillis() + ttlSeconds * 1000;
        return with(r -> {
            CompletableFuture<?> listed = cf(r.zadd(SERVERS_KEY, expiresAt, server))
                    .thenCompose(n -> cf(r.expire(SERVERS_KEY, ttlSeconds)));
            CompletableFuture<?> counts;
            if (roomCounts.isEmpty()) {
                counts = cf(r.del(onlineKey(server)));
            } else {
                // Written under a temporary name and renamed, so a reader never sees a half-written report.
                String tmp = onlineKey(server) + ".tmp." + Long.toHexString(System.nanoTime());
                Map<String, String> fields = new HashMap<>();
                roomCounts.forEach((room, n) -> fields.put(room, Integer.toString(n)));
                counts = cf(r.hset(tmp, fields))
                        .thenCompose(n -> cf(r.expire(tmp, ttlSeconds)))
                        .thenCompose(ok -> cf(r.rename(tmp, onlineKey(server))));
            }
            return CompletableFuture.allOf(listed, counts);
        });
    }

    @Override
    public CompletableFuture<Map<String, Integer>> serverOnline(String server) {
        return with(r -> cf(r.hgetall(onlineKey(server)))).thenApply(raw -> {
            Map<String, Integer> out = new LinkedHashMap<>();
            raw.forEach((room, n) -> {
                try {
                    out.put(room, Integer.parseInt(n));
                } catch (NumberFormatException e) {
                    dataLog.warn("ignoring bad online count {}={} in {}", room, n, onlineKey(server));
                }
            });
            return out;
        });
    }

    @Override
    public CompletableFuture<List<String>> onlineServers() {
        double now = System.currentTimeMillis();
        return with(r -> {
            r.zremrangebyscore(SERVERS_KEY, Range.create(0d, now)); // forget expired reporters
            return cf(r.zrangebyscore(SERVERS_KEY,
                    Range.from(Range.Boundary.excluding(now), Range.Boundary.unbounded())));
        });
    }

    static String presenceKey(String room) {
        return "presence:" + room;
    }

    private static String entry(PresenceMember m) {
        return m.server() + "\n" + m.mid() + "\n" + m.sinceMillis() + "\n" + m.key();
    }

    @Override
    public CompletableFuture<Void> addPresence(String room, Collection<PresenceMember> members, Duration ttl) {
        if (members.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        String[] args = new String[members.size() + 2];
        args[0] = Long.toString(Math.max(1, ttl.toMillis()));
        args[1] = Long.toString(System.currentTimeMillis());
        int i = 2;
        for (PresenceMember m : members) {
            args[i++] = entry(m);
        }
        return with(r -> cf(r.<Long>eval(ADD_PRESENCE, ScriptOutputType.INTEGER, new String[] {presenceKey(room)},
                args))).thenApply(n -> null);
    }

    @Override
    public CompletableFuture<Boolean> removePresence(String room, PresenceMember member) {
        return with(r -> cf(r.zrem(presenceKey(room), entry(member)))).thenApply(n -> n != null && n > 0);
    }

    @Override
    public CompletableFuture<List<PresenceMember>> presence(String room) {
        double now = System.currentTimeMillis();
        String key = presenceKey(room);
        return with(r -> {
            r.zremrangebyscore(key, Range.create(0d, now)); // pipelined before the read: prune expired members
            return cf(r.zrangebyscore(key, Range.from(Range.Boundary.excluding(now), Range.Boundary.unbounded())));
        }).thenApply(entries -> {
            List<PresenceMember> members = new ArrayList<>(entries.size());
            for (String e : entries) {
                String[] parts = e.split("\n", 4);
                try {
                    members.add(new PresenceMember(parts[3], Long.parseLong(parts[1]), parts[0],
                            Long.parseLong(parts[2])));
                } catch (RuntimeException bad) {
                    dataLog.warn("ignoring bad presence entry {} in {}", e.replace('\n', ' '), key);
                }
            }
            members.sort(java.util.Comparator.comparingLong(PresenceMember::sinceMillis)
                    .thenComparing(PresenceMember::key));
            return members;
        });
    }

    @Override
    public boolean healthy() {
        return connection.isOpen();
    }

    @Override
    public void close() {
        connection.close();
    }
}
