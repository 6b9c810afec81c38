package dev.imcluster.broker.config;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** The queue between logic and job. */
public final class MqConfig {
    /** {@code memory} only where logic and job share a JVM (standalone); otherwise kafka, nats or redis. */
    public Backend backend = Backend.memory;
    public Kafka kafka = new Kafka();
    public Nats nats = new Nats();
    public RedisStreams redis = new RedisStreams();

    public enum Backend { memory, kafka, nats, redis }

    public static final class Kafka {
        public String bootstrapServers;
        public String topic = "goim-push-topic";
        /** Extra kafka-clients properties (security.protocol, sasl.mechanism, ...); secrets go in files. */
        public Map<String, String> properties = new LinkedHashMap<>();
        /** File holding the SASL JAAS password, if any. */
        public String saslPasswordFile;
        public String saslUsername;
    }

    public static final class Nats {
        public String url = "nats://localhost:4222";
        public String stream = "GOIM";
        public String subject = "goim.push";
        /** {@code jetstream} (at-least-once) or {@code core} (a queue group; at-most-once, opt-in). */
        public NatsMode mode = NatsMode.jetstream;
        public Duration ackWait = Duration.ofSeconds(30);
        public int maxDeliver = 20;
        /** Optional NATS credentials file. */
        public String credentialsFile;
    }

    public enum NatsMode { jetstream, core }

    public static final class RedisStreams {
        /** redis://host:port of the stream's Redis; default: the session store's {@code redis.address}. */
        public String address;
        public String stream = "goim-push";
        /** Approximate MAXLEN the stream is trimmed to. */
        public long maxLength = 1_000_000;
        /** Entries pending longer than this on a dead consumer are reclaimed (XAUTOCLAIM). */
        public Duration claimIdle = Duration.ofSeconds(30);
    }
}
