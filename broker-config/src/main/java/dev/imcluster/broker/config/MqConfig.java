package dev.imcluster.broker.config;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** The queue between logic and job. */
public final class MqConfig {
    /** {@code memory} only where logic and job share a JVM (standalone); otherwise kafka, nats, redis or mqtt. */
    public Backend backend = Backend.memory;
    public Kafka kafka = new Kafka();
    public Nats nats = new Nats();
    public RedisStreams redis = new RedisStreams();
    public Mqtt mqtt = new Mqtt();
    /**
     * Backend swap: job also consumes this backend (its settings come from the same kafka/nats/redis/mqtt section),
     * with the same group and handler, until it is drained. logic ignores it. {@code none} outside a swap.
     */
    public Previous previous = new Previous();
    /**
     * Per subscription, at most this many messages are handed to the handler and not yet acknowledged; the
     * consumer stops fetching while it is reached (backpressure, no unbounded buffering).
     */
    public int maxInFlight = 1024;
    /** First wait before a failed message is handed to the handler again; doubles up to retryBackoffMax. */
    public Duration retryBackoff = Duration.ofMillis(200);
    /** The cap of that backoff, and of reconnect loops. */
    public Duration retryBackoffMax = Duration.ofSeconds(10);
    /** How long publish waits for the queue's acknowledgement (NATS, Redis; Kafka uses kafka.deliveryTimeout). */
    public Duration publishTimeout = Duration.ofSeconds(10);
    /** On close, how long to wait for in-flight handlers before giving their messages back for redelivery. */
    public Duration closeTimeout = Duration.ofSeconds(10);

    public enum Backend { memory, kafka, nats, redis, mqtt }

    public static final class Previous {
        /**
         * During a backend swap, job also consumes this backend (none, kafka, nats, redis or mqtt; never mq.backend)
         * from its kafka/nats/redis/mqtt section, until GET /migration on the admin port says it is drained.
         */
        public PreviousBackend backend = PreviousBackend.none;

        /** The previous backend, or null when there is none. */
        public Backend asBackend() {
            return backend == null || backend == PreviousBackend.none ? null : Backend.valueOf(backend.name());
        }
    }

    public enum PreviousBackend { none, kafka, nats, redis, mqtt }

    public static final class Kafka {
        public String bootstrapServers;
        public String topic = "goim-push-topic";
        /** Extra kafka-clients properties (security.protocol, sasl.mechanism, ...); secrets go in files. */
        public Map<String, String> properties = new LinkedHashMap<>();
        /**
         * TLS to the brokers: security.protocol SSL (SASL_SSL with SASL). With security.internalTls set, its caFile
         * is trusted beside the JVM's public CAs and its certificate (PKCS#8 key) is the client certificate, read at
         * start; ssl.truststore.* in properties replaces that trust.
         */
        public boolean tls = false;
        /** File holding the SASL JAAS password, if any. */
        public String saslPasswordFile;
        public String saslUsername;
        /** Partition count when the topic is created by the broker (an existing topic is left as it is). */
        public int partitions = 12;
        /** Replication factor of a created topic; 0 means the Kafka cluster's default. */
        public int replicationFactor = 0;
        /**
         * Upper bound for a publish to be acknowledged (delivery.timeout.ms; also bounds max.block.ms and
         * request.timeout.ms). A publish that cannot be acknowledged within it fails (503).
         */
        public Duration deliveryTimeout = Duration.ofSeconds(30);

        /**
         * The kafka-clients security.protocol: {@code properties.security.protocol} when set, else SASL_SSL with
         * SASL ({@code saslUsername}), SSL with {@code tls}, PLAINTEXT otherwise.
         */
        public String securityProtocol() {
            String set = properties.get("security.protocol");
            if (set != null) {
                return set;
            }
            return saslUsername != null ? "SASL_SSL" : tls ? "SSL" : "PLAINTEXT";
        }
    }

    public static final class Nats {
        /**
         * nats://host:port, or tls://host:port for TLS (with security.internalTls set, its CA bundle checks the
         * server and its certificate is the client certificate).
         */
        public String url = "nats://localhost:4222";
        public String stream = "GOIM";
        public String subject = "goim.push";
        /** {@code jetstream} (at-least-once) or {@code core} (a queue group; at-most-once, opt-in). */
        public NatsMode mode = NatsMode.jetstream;
        public Duration ackWait = Duration.ofSeconds(30);
        public int maxDeliver = 20;
        /** Optional NATS credentials file. */
        public String credentialsFile;
        /** Messages older than this are dropped from the stream (limits retention). */
        public Duration maxAge = Duration.ofHours(24);
        /** Stream replicas (1 to 5; at most the JetStream cluster size). */
        public int replicas = 1;
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
        /**
         * A publish is acknowledged only once this many replicas hold it (WAIT), so a Sentinel failover cannot lose
         * an acknowledged push; 0 acknowledges on the master's write alone.
         */
        public int waitReplicas = 0;
        /** How long a publish waits for {@code waitReplicas}; fewer replicas by then fail it (the caller retries). */
        public Duration waitTimeout = Duration.ofSeconds(1);
    }

    /**
     * An MQTT 3.1.1 or 5 broker (Mosquitto, EMQX, HiveMQ, ...): QoS 1, a persistent session per job member and a
     * shared subscription ({@code $share/<group>/<topic>}) for job's group. MQTT has no sequence of its own: the
     * publisher stamps each message's position (see docs/DELIVERY.md).
     */
    public static final class Mqtt {
        /**
         * tcp://host:port, or ssl://host:port for TLS (with security.internalTls set, its CA bundle checks the
         * server and its certificate is the client certificate).
         */
        public String url = "tcp://localhost:1883";
        /** 5 (MQTT 5) or 3 (MQTT 3.1.1). */
        public int protocolVersion = 5;
        /** The topic every message is published to. */
        public String topic = "goim/push";
        /**
         * Client ids start with it: {@code <prefix>-<group>-<serverId>} for job's members (a persistent session each),
         * {@code <prefix>-pub-<serverId>-<random>} for publishers.
         */
        public String clientIdPrefix = "imcluster";
        /** Optional user name sent in CONNECT. */
        public String username;
        /** Optional file holding the password (needs username), read at start. */
        public String passwordFile;
        /**
         * MQTT keep alive: the broker drops a client silent for 1.5 times this, and the client takes the connection
         * for lost when a ping gets no answer within about this much more (whole seconds, at most 65535s). Short, so
         * that a cut link to the broker shows within about 20 s (PartitionTest), not a minute.
         */
        public Duration keepalive = Duration.ofSeconds(10);
        /**
         * How long the broker keeps a job member's session (its subscription and the messages queued for it)
         * while that member is away: a member that restarts within it, under the same serverId, gets them.
         */
        public Duration sessionExpiry = Duration.ofHours(1);
    }
}
