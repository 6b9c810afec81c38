package dev.imcluster.broker.testinfra;

import java.util.Map;

/**
 * The queue server of one durable backend, a process of its own (a KRaft Kafka node, nats-server -js, redis-server
 * Streams or mosquitto), with the mq.* settings that point a broker role at it. Its timeouts are short, so that a
 * killed job's work moves on within seconds: Kafka's group session (its minimum, not 45 s), JetStream's ackWait,
 * Redis Streams' claimIdle (MQTT has none: a restarted job member resumes its own session).
 */
public final class QueueServer implements AutoCloseable {
    private final Map<String, Object> config;
    private final Runnable stop;
    private final Runnable start;
    /** SIGKILL of the server's process. */
    private final Runnable kill;
    private final AutoCloseable server;

    private QueueServer(Map<String, Object> config, Runnable stop, Runnable start, Runnable kill,
                        AutoCloseable server) {
        this.config = config;
        this.stop = stop;
        this.start = start;
        this.kill = kill;
        this.server = server;
    }

    /** Starts the server of {@code backend}: kafka, nats, redis or mqtt. */
    public static QueueServer launch(String backend) {
        return switch (backend) {
            case "kafka" -> kafka(KafkaServerProcess.launch());
            case "nats" -> jetStream(NatsServerProcess.launch());
            case "redis" -> redisStreams(RedisServerProcess.launch());
            case "mqtt" -> mqtt(MosquittoServerProcess.launch());
            default -> throw new IllegalArgumentException("backend must be kafka, nats, redis or mqtt, got " + backend);
        };
    }

    /** Kafka on a KRaft node already running (on a test host, say); closing this closes it. */
    public static QueueServer kafka(KafkaServerProcess kafka) {
        return new QueueServer(Map.of("mq.backend", "kafka",
                "mq.kafka.bootstrapServers", kafka.bootstrapServers(),
                "mq.kafka.partitions", 3,
                "mq.kafka.deliveryTimeout", "4s", // a publish during an outage fails within this
                "mq.kafka.properties", Map.of("session.timeout.ms", "6000", "heartbeat.interval.ms", "1000")),
                kafka::stop, kafka::start, kafka::kill, kafka);
    }

    /** Mosquitto already running (on a test host, say); closing this closes it. */
    public static QueueServer mqtt(MosquittoServerProcess mosquitto) {
        return new QueueServer(Map.of("mq.backend", "mqtt", "mq.mqtt.url", mosquitto.url()), mosquitto::stop,
                mosquitto::start, mosquitto::kill, mosquitto);
    }

    /** JetStream of a nats-server already running (on a test host, say); closing this closes it. */
    public static QueueServer jetStream(NatsServerProcess nats) {
        return new QueueServer(Map.of("mq.backend", "nats", "mq.nats.url", nats.url(),
                "mq.nats.ackWait", "4s", "mq.nats.maxDeliver", -1), nats::stop, nats::start, nats::kill, nats);
    }

    /** Streams of a redis-server already running (on a test host, say); closing this closes it. */
    public static QueueServer redisStreams(RedisServerProcess redis) {
        return new QueueServer(Map.of("mq.backend", "redis", "mq.redis.address", redis.address(),
                "mq.redis.claimIdle", "4s"), redis::stop, redis::start, redis::kill, redis);
    }

    /** The mq.* settings that point a role at this server. */
    public Map<String, Object> config() {
        return config;
    }

    /** A graceful stop (its data is kept, as on a pod restart); {@link #start} brings it back at the same address. */
    public void stop() {
        stop.run();
    }

    public void start() {
        start.run();
    }

    /** SIGKILL of the server's process ({@link #start} brings it back on its data). */
    public void kill() {
        kill.run();
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
