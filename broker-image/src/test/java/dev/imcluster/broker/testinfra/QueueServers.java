package dev.imcluster.broker.testinfra;

import dev.imcluster.broker.testing.TestSupport;

/**
 * A server of each durable backend at once (redis-server, nats-server -js, in-JVM KRaft Kafka), for tests that run
 * buses of every backend in the test JVM.
 */
public final class QueueServers implements AutoCloseable {
    public final RedisServerProcess redis;
    public final NatsServerProcess nats;
    public final KafkaCluster kafka;

    private QueueServers(RedisServerProcess redis, NatsServerProcess nats, KafkaCluster kafka) {
        this.redis = redis;
        this.nats = nats;
        this.kafka = kafka;
    }

    public static QueueServers launch() {
        RedisServerProcess redis = RedisServerProcess.launch();
        NatsServerProcess nats = null;
        try {
            nats = NatsServerProcess.launch();
            return new QueueServers(redis, nats, KafkaCluster.start());
        } catch (RuntimeException | Error e) {
            TestSupport.closeQuietly(nats);
            redis.close();
            throw e;
        }
    }

    @Override
    public void close() {
        TestSupport.closeQuietly(kafka);
        TestSupport.closeQuietly(nats);
        TestSupport.closeQuietly(redis);
    }
}
