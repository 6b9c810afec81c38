package dev.imcluster.broker.mq.redis;

import dev.imcluster.broker.logging.RateLimitedLog;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.mq.Backoff;
import dev.imcluster.broker.mq.BusMetrics;
import dev.imcluster.broker.mq.BusSupport;
import dev.imcluster.broker.mq.BusUnavailableException;
import dev.imcluster.broker.mq.MessageBus;
import dev.imcluster.broker.mq.Position;
import dev.imcluster.broker.redis.LazyRedisConnection;
import dev.imcluster.broker.redis.RedisClients;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis Streams: publish is XADD (MAXLEN ~ {@code mq.redis.maxLength}) of the envelope bytes (field {@code e})
 * and its msg_id (field {@code id}), complete once Redis answered. Each subscription is a consumer of the group
 * (XGROUP CREATE ... 0 MKSTREAM, so a new group starts at the oldest retained entry) with a unique name,
 * reading with XREADGROUP and acknowledging with XACK after the handler succeeded. A failed handler is retried
 * in place; every entry a live consumer holds is kept its own by resetting its idle time (XCLAIM JUSTID every
 * claimIdle/3), and entries pending longer than
 * {@code mq.redis.claimIdle} on any consumer (a dead replica) are taken over with XAUTOCLAIM.
 */
public final class RedisStreamsBus implements MessageBus {
    private static final Logger LOG = LoggerFactory.getLogger(RedisStreamsBus.class);
    static final String FIELD_ENVELOPE = "e";
    static final String FIELD_ID = "id";
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    // Package-private: RedisStreamConsumer reads them.
    final BrokerConfig config;
    /** Longest XREADGROUP block: short against claimIdle, so held entries are refreshed in time. */
    final Duration block;
    final MqConfig.RedisStreams settings;
    final String stream;
    final BusMetrics metrics;
    final Backoff backoff;
    final RateLimitedLog stateLog = new RateLimitedLog(LOG, 30, TimeUnit.SECONDS);
    private final LazyRedisConnection<String, byte[]> connection;
    private final CopyOnWriteArrayList<RedisStreamConsumer> subscriptions = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    public RedisStreamsBus(BrokerConfig config, MeterRegistry meters) {
        this.config = config;
        this.settings = config.mq.redis;
        this.stream = settings.stream;
        this.block = Duration.ofMillis(Math.max(100, Math.min(1000, settings.claimIdle.toMillis() / 4)));
        String address = settings.address == null || settings.address.isBlank()
                ? RedisClients.where(config.redis) : settings.address;
        this.metrics = new BusMetrics(meters, name(), this::healthy);
        metrics.expectDrops("undecodable");
        this.backoff = new Backoff(config.mq.retryBackoff, config.mq.retryBackoffMax);
        this.connection = new LazyRedisConnection<>(RedisClients.client(config.redis, config.security.internalTls, settings.address), CODEC,
                "queue Redis " + address + " (stream " + stream + ")");
    }

    private volatile String epoch;

    @Override
    public String name() {
        return "redis";
    }

    /** The shared connection (publish, ack, claim); BusUnavailableException while Redis is unreachable. */
    StatefulRedisConnection<String, byte[]> connection() {
        try {
            return connection.get();
        } catch (IllegalStateException e) {
            throw BusSupport.unavailable(name(), e);
        }
    }

    StatefulRedisConnection<String, byte[]> openConnection() {
        return connection.open();
    }

    @Override
    public CompletableFuture<Position> publish(PushEnvelope envelope) {
        CompletableFuture<Position> result;
        try {
            String epoch = epoch();
            XAddArgs args = XAddArgs.Builder.maxlen(settings.maxLength).approximateTrimming();
            var redis = connection().async();
            CompletableFuture<String> added = redis.xadd(stream, args, Map.of(
                            FIELD_ENVELOPE, envelope.toByteArray(),
                            FIELD_ID, envelope.getMsgId().getBytes(StandardCharsets.UTF_8)))
                    .toCompletableFuture();
            if (settings.waitReplicas > 0) {
                // Pipelined behind the XADD on the same connection: WAIT covers it and every write before it.
                added = added.thenCombine(redis.waitForReplication(settings.waitReplicas,
                        settings.waitTimeout.toMillis()).toCompletableFuture(), this::replicated);
            }
            result = added
                    .orTimeout(config.mq.publishTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .thenApply(id -> new Position(Position.fromRedisId(id), epoch));
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        return BusSupport.settlePublish(result, metrics, name());
    }

    /** The entry id once {@code mq.redis.waitReplicas} replicas hold it; a failed publish when fewer do. */
    private String replicated(String id, Long replicas) {
        if (replicas == null || replicas < settings.waitReplicas) {
            throw new BusUnavailableException("redis stream " + stream + ": entry " + id + " reached " + replicas
                    + " of " + settings.waitReplicas + " replicas within " + settings.waitTimeout
                    + " (mq.redis.waitReplicas); not acknowledged");
        }
        return id;
    }

    /**
     * A random name for this stream's life, kept in Redis beside it ({@code <stream>:epoch}, created by whichever
     * process gets there first): Redis losing its data loses the name too, and the next one voids earlier
     * positions.
     */
    String epoch() {
        String known = epoch;
        if (known != null) {
            return known;
        }
        var redis = connection().sync();
        String key = stream + ":epoch";
        redis.set(key, Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong() >>> 1, 36)
                .getBytes(StandardCharsets.UTF_8), io.lettuce.core.SetArgs.Builder.nx());
        byte[] nonce = redis.get(key);
        known = "redis:" + stream + ":" + new String(nonce, StandardCharsets.UTF_8);
        epoch = known;
        return known;
    }

    @Override
    public Subscription subscribe(String group, EnvelopeHandler handler) {
        RedisStreamConsumer s = new RedisStreamConsumer(this, group, handler);
        subscriptions.add(s);
        s.start();
        return s;
    }

    @Override
    public boolean healthy() {
        return !closed && connection.isOpen();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        for (RedisStreamConsumer s : subscriptions) {
            s.close();
        }
        closed = true;
        connection.close();
    }

    /** A consumer closed: close() no longer sees it. */
    void unregister(RedisStreamConsumer consumer) {
        subscriptions.remove(consumer);
    }
}
