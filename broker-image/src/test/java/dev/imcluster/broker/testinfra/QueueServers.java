package dev.imcluster.broker.testinfra;

import dev.imcluster.broker.testing.TestSupport;

/**
 * A server of each durable backend at once (redis-server, nats-server -js, in-JVM KRaft Kafka, mosquitto), for tests
 * that run buses of every backend in the test JVM.
 */
public final class QueueServers implements AutoCloseable {
    public final RedisServerProcess redis;
    public final NatsServerProcess nats;
    public final KafkaCluster kafka;
    public final MosquittoServerProcess mosquitto;

    private QueueServers(RedisServerProcess redis, NatsServerProcess nats, KafkaCluster kafka,
                         MosquittoServerProcess mosquitto) {
        this.redis = redis;
        this.nats = nats;
        this.kafka = kafka;
        this.mosquitto = mosquitto;
    }

    public static QueueServers launch() {
        RedisServerProcess redis = RedisServerProcess.launch();
        NatsServerProcess nats = null;
        MosquittoServerProcess mosquitto = null;
        try {
            nats = NatsServerProcess.launch();
            mosquitto = MosquittoServerProcess.launch();
            return new QueueServers(redis, nats, KafkaCluster.start(), mosquitto);
        } catch (RuntimeException | Error e) {
            TestSupport.closeQuietly(mosquitto);
            TestSupport.closeQuietly(nats);
            redis.close();
            throw e;
        }
    }

    @Override
    public void close() {
        TestSupport.closeQuietly(kafka);
        TestSupport.closeQuietly(mosquitto);
        TestSupport.closeQuietly(nats);
        TestSupport.closeQuietly(redis);
    }
}
