package dev.imcluster.broker.redis;

import dev.imcluster.broker.logging.RateLimitedLog;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.RedisCodec;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One auto-reconnecting lettuce connection that is opened on first use, so a process starts (and serves what
 * needs no Redis) while Redis is down. While it cannot connect, {@link #get()} fails at once with a clear message
 * and tries again at most once a second. A refused password fails the constructor: that is a misconfiguration,
 * not an outage. State changes are logged (rate-limited).
 */
public final class LazyRedisConnection<K, V> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LazyRedisConnection.class);

    private final RedisClient client;
    private final RedisCodec<K, V> codec;
    private final String what;
    private final RateLimitedLog stateLog = new RateLimitedLog(LOG, 30, TimeUnit.SECONDS);
    private volatile StatefulRedisConnection<K, V> connection;
    private volatile long nextAttempt;
    private volatile boolean closed;

    /** {@code what} names the Redis in messages, e.g. "session Redis 10.0.0.1:6379". */
    public LazyRedisConnection(RedisClient client, RedisCodec<K, V> codec, String what) {
        this.client = client;
        this.codec = codec;
        this.what = what;
        try {
            get();
        } catch (IllegalStateException e) {
            if (isAuthFailure(e)) {
                RedisClients.shutdown(client);
                throw e;
            }
            LOG.warn("{} not reachable yet ({}); will keep trying", what, e.getMessage());
        }
    }

    private static boolean isAuthFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (m.contains("WRONGPASS") || m.contains("NOAUTH") || m.contains("invalid password")) {
                return true;
            }
        }
        return false;
    }

    /** The connection, connecting if needed; IllegalStateException naming the Redis when it cannot. */
    public StatefulRedisConnection<K, V> get() {
        StatefulRedisConnection<K, V> c = connection;
        if (c != null) {
            return c;
        }
        synchronized (this) {
            if (connection != null) {
                return connection;
            }
            if (closed) {
                throw new IllegalStateException(what + ": closed");
            }
            if (nextAttempt != 0 && System.nanoTime() - nextAttempt < 0) {
                throw new IllegalStateException(what + " unavailable: not connected (retrying)");
            }
            try {
                connection = open();
                LOG.info("{} connected", what);
                return connection;
            } catch (RuntimeException e) {
                nextAttempt = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                throw new IllegalStateException(what + " unavailable: " + rootMessage(e), e);
            }
        }
    }

    /** A further connection of the same client (e.g. for blocking reads), with the same state logging. */
    public StatefulRedisConnection<K, V> open() {
        StatefulRedisConnection<K, V> c = client.connect(codec);
        c.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> ch) {
                if (!closed && !ch.isClosed()) { // not when we close it ourselves
                    stateLog.warn("{} disconnected; reconnecting", what);
                }
            }

            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> ch, SocketAddress address) {
                LOG.debug("{} connected to {}", what, address);
            }
        });
        return c;
    }

    public boolean isOpen() {
        StatefulRedisConnection<K, V> c = connection;
        return !closed && c != null && c.isOpen();
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }

    @Override
    public void close() {
        closed = true;
        StatefulRedisConnection<K, V> c = connection;
        if (c != null) {
            c.close();
        }
        RedisClients.shutdown(client);
    }
}
