package dev.imcluster.broker.history;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.redis.LazyRedisConnection;
import dev.imcluster.broker.redis.RedisClients;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * History in Redis ({@code redis.address}, the session store's): per room a list of entries and a small hash
 * (epoch, latest offset, floor), changed only by two Lua scripts so that appends from job and reads from logic
 * see each other whole. Offsets are kept as fixed-width decimal strings (offset + 1, 20 digits), compared as
 * strings: Lua's numbers are doubles, and Redis Streams offsets need all 63 bits.
 * <p>A message that arrives after a later one of its room (an entry claimed late from a dead consumer) cannot be
 * inserted in order: the floor rises past it instead, so that recovery across it says so rather than skipping it.
 * <p>The list expires {@code ttl} after the last append (everything in it is older by then); the hash lives a
 * day longer, so that a read after the list expired still knows what was lost.
 */
public final class RedisHistoryStore implements HistoryStore {

    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    private static final Duration META_GRACE = Duration.ofDays(1);
    private static final int WIDTH = 20;

    private static final String APPEND = """
            local m = redis.call('HMGET', KEYS[1], 'epoch', 'top', 'floor')
            local top, floor = m[2], m[3]
            local byEpoch = 0
            if m[1] ~= ARGV[1] then
              byEpoch = redis.call('LLEN', KEYS[2])
              redis.call('DEL', KEYS[2])
              top = ARGV[4]
              floor = ARGV[4]
            elseif top and top > floor and redis.call('EXISTS', KEYS[2]) == 0 then
              floor = top -- the list expired (no append for ttl): nothing up to the latest is left
            end
            if ARGV[5] > floor then floor = ARGV[5] end
            local added = 0
            local held = nil
            for i = 8, #ARGV do
              local off = string.sub(ARGV[i], 1, 20)
              if off > top then
                redis.call('RPUSH', KEYS[2], ARGV[i])
                top = off
                added = added + 1
              elseif off > floor then
                if not held then
                  held = {}
                  for _, e in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do held[string.sub(e, 1, 20)] = true end
                end
                if not held[off] then floor = off end
              end
            end
            local bySize, byTtl = 0, 0
            local excess = redis.call('LLEN', KEYS[2]) - tonumber(ARGV[2])
            if excess > 0 then
              local last = redis.call('LINDEX', KEYS[2], excess - 1)
              redis.call('LTRIM', KEYS[2], excess, -1)
              local off = string.sub(last, 1, 20)
              if off > floor then floor = off end
              bySize = excess
            end
            while true do
              local head = redis.call('LINDEX', KEYS[2], 0)
              if not head or string.sub(head, 21, 40) >= ARGV[3] then break end
              redis.call('LPOP', KEYS[2])
              local off = string.sub(head, 1, 20)
              if off > floor then floor = off end
              byTtl = byTtl + 1
            end
            redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'top', top, 'floor', floor)
            redis.call('PEXPIRE', KEYS[2], ARGV[6])
            redis.call('PEXPIRE', KEYS[1], ARGV[7])
            return {added, bySize, byTtl, byEpoch, redis.call('LLEN', KEYS[2])}
            """;

    /**
     * Two binary searches over the list (entries are in offset order, and in publish order): past the expired head
     * (published before ARGV[3], not trimmed yet when no append came since), whose last offset raises the floor,
     * then to the first entry after ARGV[1]; returns epoch, top, floor and up to ARGV[2] entries (0: all).
     */
    private static final String READ = """
            local m = redis.call('HMGET', KEYS[1], 'epoch', 'top', 'floor')
            if not m[1] then return {} end
            local floor = m[3]
            local n = redis.call('LLEN', KEYS[2])
            local lo, hi = 0, n
            while lo < hi do
              local mid = math.floor((lo + hi) / 2)
              if string.sub(redis.call('LINDEX', KEYS[2], mid), 21, 40) < ARGV[3] then lo = mid + 1 else hi = mid end
            end
            if lo > 0 then
              local off = string.sub(redis.call('LINDEX', KEYS[2], lo - 1), 1, 20)
              if off > floor then floor = off end
            end
            if lo == n and m[2] > floor then floor = m[2] end -- nothing retained: nothing up to the latest is left
            hi = n
            while lo < hi do
              local mid = math.floor((lo + hi) / 2)
              if string.sub(redis.call('LINDEX', KEYS[2], mid), 1, 20) > ARGV[1] then hi = mid else lo = mid + 1 end
            end
            local r = {m[1], m[2], floor}
            if lo < n then
              local stop = -1
              if tonumber(ARGV[2]) > 0 then stop = lo + tonumber(ARGV[2]) - 1 end
              for _, e in ipairs(redis.call('LRANGE', KEYS[2], lo, stop)) do r[#r + 1] = e end
            end
            return r
            """;

    private final LazyRedisConnection<String, byte[]> connection;
    private final HistoryMetrics metrics;
    private final LongSupplier nowMicros;

    public RedisHistoryStore(BrokerConfig config, HistoryMetrics metrics) {
        this(config, metrics, () -> System.currentTimeMillis() * 1000);
    }

    /** {@code nowMicros} decides which entries are past their ttl (tests move it); Redis expires keys itself. */
    RedisHistoryStore(BrokerConfig config, HistoryMetrics metrics, LongSupplier nowMicros) {
        this.metrics = metrics;
        this.nowMicros = nowMicros;
        this.connection = new LazyRedisConnection<>(RedisClients.client(config.redis, config.security.internalTls, null), CODEC,
                "history Redis " + RedisClients.where(config.redis));
    }

    private static String[] keys(String room) {
        // One hash slot per room (Redis Cluster): both keys share the {room} tag.
        return new String[] {"hist:{" + room + "}:meta", "hist:{" + room + "}:log"};
    }

    static String encode(long offset) {
        String digits = Long.toString(offset + 1);
        return "0".repeat(Math.max(0, WIDTH - digits.length())) + digits;
    }

    static long decode(byte[] encoded, int from) {
        return Long.parseLong(new String(encoded, from, WIDTH, StandardCharsets.US_ASCII)) - 1;
    }

    @Override
    public CompletableFuture<Void> append(String room, List<RoomMessage> messages, HistoryPolicy policy,
                                          long floorIfNew, long lostUpTo) {
        if (messages.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        long ttlMillis = policy.ttl().toMillis();
        List<byte[]> args = new ArrayList<>(7 + messages.size());
        args.add(messages.get(0).getEpoch().getBytes(StandardCharsets.UTF_8));
        args.add(ascii(Integer.toString(policy.size())));
        args.add(ascii(encode(nowMicros.getAsLong() - ttlMillis * 1000)));
        args.add(ascii(encode(floorIfNew)));
        args.add(ascii(encode(lostUpTo)));
        args.add(ascii(Long.toString(Math.max(1, ttlMillis))));
        args.add(ascii(Long.toString(ttlMillis + META_GRACE.toMillis())));
        for (RoomMessage m : messages) {
            byte[] body = m.toByteArray();
            byte[] entry = new byte[2 * WIDTH + body.length];
            System.arraycopy(ascii(encode(m.getOffset())), 0, entry, 0, WIDTH);
            System.arraycopy(ascii(encode(m.getPublishedAtMicros())), 0, entry, WIDTH, WIDTH);
            System.arraycopy(body, 0, entry, 2 * WIDTH, body.length);
            args.add(entry);
        }
        return this.<List<Object>>eval(APPEND, keys(room), args).thenAccept(counts -> {
            for (int i = 0; i < 4 && i < counts.size(); i++) {
                long n = (Long) counts.get(i);
                if (i == 0) {
                    for (long k = 0; k < n; k++) {
                        metrics.appended();
                    }
                } else if (n > 0) {
                    metrics.evicted(i == 1 ? "size" : i == 2 ? "ttl" : "epoch", (int) n);
                }
            }
            if (counts.size() > 4) {
                metrics.roomSize((Long) counts.get(4));
            }
        });
    }

    @Override
    public CompletableFuture<HistoryPage> read(String room, long sinceOffset, int limit, HistoryPolicy policy) {
        long oldest = nowMicros.getAsLong() - policy.ttl().toNanos() / 1000;
        List<byte[]> args = List.of(ascii(encode(Math.min(sinceOffset, Long.MAX_VALUE - 1))),
                ascii(Integer.toString(Math.max(0, limit))), ascii(encode(oldest)));
        return this.<List<Object>>eval(READ, keys(room), args).thenApply(reply -> {
            if (reply.isEmpty()) {
                return HistoryPage.EMPTY;
            }
            String epoch = new String((byte[]) reply.get(0), StandardCharsets.UTF_8);
            long top = decode((byte[]) reply.get(1), 0);
            long floor = decode((byte[]) reply.get(2), 0);
            List<RoomMessage> after = new ArrayList<>(reply.size() - 3);
            for (int i = 3; i < reply.size(); i++) {
                after.add(parse((byte[]) reply.get(i)));
            }
            return new HistoryPage(after, epoch, top, floor);
        });
    }

    private static RoomMessage parse(byte[] entry) {
        try {
            return RoomMessage.parser().parseFrom(entry, 2 * WIDTH, entry.length - 2 * WIDTH);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("undecodable history entry: " + e.getMessage(), e);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @SuppressWarnings("unchecked")
    private <T> CompletableFuture<T> eval(String script, String[] keys, List<byte[]> args) {
        try {
            return (CompletableFuture<T>) connection.get().async()
                    .eval(script, ScriptOutputType.MULTI, keys, args.toArray(byte[][]::new)).toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        connection.close();
    }
}
