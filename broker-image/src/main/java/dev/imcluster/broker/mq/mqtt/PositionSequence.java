package dev.imcluster.broker.mq.mqtt;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.mq.Position;
import dev.imcluster.broker.redis.LazyRedisConnection;
import dev.imcluster.broker.redis.RedisClients;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.codec.StringCodec;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Where an MQTT message's position comes from, since MQTT numbers nothing: a counter of the topic, taken by the
 * publisher before it publishes. With {@code logic.sessionStore: redis} (every logic replica shares it) the counter
 * is in that Redis ({@code INCR}), beside a random epoch created by the first publisher ({@code SET NX}), so every
 * replica numbers one sequence and a Redis that lost its data starts a new epoch; otherwise it is this process's
 * counter, in an epoch of its own per start (as the in-memory queue's).
 */
abstract class PositionSequence implements AutoCloseable {

    /** The next position; futures complete in the order of the calls. */
    abstract CompletableFuture<Position> next();

    @Override
    public void close() {
    }

    static PositionSequence local(String topic) {
        return new Local("mqtt:" + topic + ":" + nonce());
    }

    static PositionSequence redis(BrokerConfig config) {
        return new Shared(config);
    }

    private static String nonce() {
        return Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
    }

    private static final class Local extends PositionSequence {
        private final String epoch;
        private long last;

        Local(String epoch) {
            this.epoch = epoch;
        }

        @Override
        synchronized CompletableFuture<Position> next() {
            return CompletableFuture.completedFuture(new Position(++last, epoch));
        }

        @Override
        public String toString() {
            return "counted in this process (epoch " + epoch + ")";
        }
    }

    /** One round trip: the epoch (created if missing) and the incremented counter, so the two always match. */
    private static final class Shared extends PositionSequence {
        private static final String SCRIPT = "redis.call('SET', KEYS[1], ARGV[1], 'NX') "
                + "return {redis.call('GET', KEYS[1]), redis.call('INCR', KEYS[2])}";
        private final String topic;
        private final String[] keys;
        private final BrokerConfig config;
        /** Opened by the first publish: a job process, which only consumes, never needs it. */
        private LazyRedisConnection<String, String> connection;
        private boolean closed;

        Shared(BrokerConfig config) {
            this.config = config;
            this.topic = config.mq.mqtt.topic;
            this.keys = new String[] {"mqtt:{" + topic + "}:epoch", "mqtt:{" + topic + "}:seq"};
        }

        private synchronized LazyRedisConnection<String, String> connection() {
            if (closed) {
                throw new IllegalStateException("closed");
            }
            if (connection == null) {
                connection = new LazyRedisConnection<>(RedisClients.client(config.redis, config.security.internalTls,
                        null), StringCodec.UTF8, "position Redis " + RedisClients.where(config.redis) + " (mqtt topic " + topic
                        + ")");
            }
            return connection;
        }

        @Override
        CompletableFuture<Position> next() {
            try {
                return connection().get().async().<List<Object>>eval(SCRIPT, ScriptOutputType.MULTI, keys, nonce())
                        .toCompletableFuture()
                        .thenApply(r -> new Position((Long) r.get(1), "mqtt:" + topic + ":" + r.get(0)));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        @Override
        public synchronized void close() {
            closed = true;
            if (connection != null) {
                connection.close();
            }
        }

        @Override
        public String toString() {
            return "counted in Redis (" + keys[1] + ")";
        }
    }
}
