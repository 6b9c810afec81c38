package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The queue between logic and job; {@code backend} is the field users swap. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "self.backend != 'kafka' || (has(self.kafka) && has(self.kafka.bootstrapServers) && size(self.kafka.bootstrapServers) > 0)",
        message = "mq.kafka.bootstrapServers is required when mq.backend is kafka")
@ValidationRule(value = "self.backend != 'nats' || (has(self.nats) && (has(self.nats.url) || (has(self.nats.managed) && self.nats.managed)))",
        message = "mq.nats needs url, or managed: true, when mq.backend is nats")
@ValidationRule(value = "self.backend != 'mqtt' || (has(self.mqtt) && (has(self.mqtt.url) || (has(self.mqtt.managed) && self.mqtt.managed)))",
        message = "mq.mqtt needs url, or managed: true, when mq.backend is mqtt")
public class MqSpec {

    @JsonPropertyDescription("The active queue backend. Changing it migrates the cluster to the new backend.")
    @Default("redis")
    public Backend backend = Backend.redis;

    @JsonPropertyDescription("Kafka settings (an external Kafka).")
    public KafkaSpec kafka;

    @JsonPropertyDescription("NATS JetStream settings: an external server (url) or one the operator runs (managed).")
    public NatsSpec nats;

    @JsonPropertyDescription("Redis Streams settings; the stream lives in the session Redis.")
    public RedisStreamSpec redis;

    @JsonPropertyDescription("MQTT settings: an external MQTT 3.1.1 or 5 broker (url) or a Mosquitto the operator "
            + "runs (managed).")
    public MqttSpec mqtt;

    public enum Backend { redis, kafka, nats, mqtt }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class KafkaSpec {
        @JsonPropertyDescription("Comma-separated host:port list of Kafka brokers.")
        @Pattern(Patterns.HOST_PORT_LIST)
        @Size(max = 4096)
        public String bootstrapServers;

        public static final String DEFAULT_TOPIC = "goim-push-topic";

        @JsonPropertyDescription("Topic of push messages.")
        @Default(DEFAULT_TOPIC)
        @Pattern("^[a-zA-Z0-9._-]{1,249}$")
        public String topic;

        @JsonPropertyDescription("Connect to Kafka over TLS (SASL_SSL with authSecretRef). With spec.tls.internal, the"
                + " roles trust the cluster's CA beside the JVM's public CAs and present their own certificate.")
        public Boolean tls;

        @JsonPropertyDescription("SASL credentials: a Secret with keys '" + KafkaAuth.USERNAME_KEY + "' and '"
                + KafkaAuth.PASSWORD_KEY + "'.")
        public KafkaAuth authSecretRef;

        public String topicOrDefault() {
            return topic == null ? DEFAULT_TOPIC : topic;
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class KafkaAuth {
        /** The keys of the SASL Secret. */
        public static final String USERNAME_KEY = "username";
        public static final String PASSWORD_KEY = "password";

        @JsonPropertyDescription("Name of the Secret (keys '" + USERNAME_KEY + "' and '" + PASSWORD_KEY + "') in the "
                + "cluster's namespace.")
        @io.fabric8.generator.annotation.Required
        @Pattern(Patterns.DNS_SUBDOMAIN)
        @Size(max = Patterns.NAME_MAX)
        public String name;

        @JsonPropertyDescription("SASL mechanism.")
        @Default(SaslMechanism.DEFAULT_WIRE_NAME)
        public SaslMechanism mechanism;

        public SaslMechanism mechanismOrDefault() {
            return mechanism == null ? SaslMechanism.SCRAM_SHA_512 : mechanism;
        }
    }

    public enum SaslMechanism {
        @com.fasterxml.jackson.annotation.JsonProperty("PLAIN") PLAIN,
        @com.fasterxml.jackson.annotation.JsonProperty("SCRAM-SHA-256") SCRAM_SHA_256,
        @com.fasterxml.jackson.annotation.JsonProperty(SaslMechanism.DEFAULT_WIRE_NAME) SCRAM_SHA_512;

        /** The default, SCRAM_SHA_512, as the CRD spells it. */
        public static final String DEFAULT_WIRE_NAME = "SCRAM-SHA-512";

        public String wireName() {
            return name().replace('_', '-');
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "!(has(self.url) && has(self.managed) && self.managed)",
            message = "mq.nats.url and mq.nats.managed are mutually exclusive")
    @ValidationRule(value = "!has(self.replicas) || self.replicas == 1 || self.replicas == 3 || self.replicas == 5",
            message = NatsSpec.REPLICAS_ODD)
    @ValidationRule(value = "!has(self.replicas) || self.replicas == 1 || (has(self.managed) && self.managed)",
            message = NatsSpec.REPLICAS_MANAGED)
    public static class NatsSpec {
        public static final String REPLICAS_ODD = "mq.nats.replicas must be 1, 3 or 5: a JetStream cluster needs a "
                + "majority of its servers";
        public static final String REPLICAS_MANAGED = "mq.nats.replicas is for the managed NATS: set mq.nats.managed: "
                + "true, or size your own NATS cluster yourself";
        /** The JetStream stream's replicas on a managed NATS cluster (R3: survives one server lost). */
        public static final int CLUSTER_STREAM_REPLICAS = 3;

        @JsonPropertyDescription("URL of an external NATS server with JetStream, e.g. nats://nats:4222.")
        @Pattern("^(nats|tls)://[^\\s]+$")
        @Size(max = 2048)
        public String url;

        @JsonPropertyDescription("Run a NATS server with JetStream for this cluster.")
        public Boolean managed;

        @JsonPropertyDescription("Servers of the managed NATS: 1, or 3 or 5 for a JetStream cluster (routes between "
                + "the servers, the stream kept on 3 of them, so it survives the loss of one server); give it storage "
                + "so that a restarted server keeps its data.")
        @Default("1")
        public Integer replicas;

        /** The managed NATS's servers (1 unless set). */
        public int replicasOrDefault() {
            return replicas == null ? 1 : replicas;
        }

        @JsonPropertyDescription("Storage of the managed NATS JetStream (a PersistentVolumeClaim size such as 1Gi); "
                + "an emptyDir when unset.")
        @Pattern(Patterns.QUANTITY)
        @Size(max = 64)
        public String storage;

        @JsonPropertyDescription("Overrides merged into the managed NATS pod template (placement, labels and "
                + "annotations, image pull secrets, env, volumes, extra containers, security contexts); only with "
                + "managed: true.")
        public PodTemplateOverrides podTemplate;

        public static final String DEFAULT_STREAM = "GOIM";
        public static final String DEFAULT_SUBJECT = "goim.push";

        @JsonPropertyDescription("JetStream stream name.")
        @Default(DEFAULT_STREAM)
        @Pattern("^[A-Za-z0-9_-]+$")
        @Size(max = 255)
        public String stream;

        @JsonPropertyDescription("Subject of push messages.")
        @Default(DEFAULT_SUBJECT)
        @Pattern("^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$")
        @Size(max = 255)
        public String subject;

        public boolean isManaged() {
            return Boolean.TRUE.equals(managed);
        }

        public String streamOrDefault() {
            return stream == null ? DEFAULT_STREAM : stream;
        }

        public String subjectOrDefault() {
            return subject == null ? DEFAULT_SUBJECT : subject;
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class RedisStreamSpec {
        public static final String DEFAULT_STREAM = "goim-push";

        @JsonPropertyDescription("Stream key.")
        @Default(DEFAULT_STREAM)
        @Pattern("^\\S+$")
        @Size(max = 255)
        public String stream;

        /** The stream key of {@code spec} (null: every default). */
        public static String streamOf(RedisStreamSpec spec) {
            return spec == null || spec.stream == null ? DEFAULT_STREAM : spec.stream;
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "!(has(self.url) && has(self.managed) && self.managed)",
            message = "mq.mqtt.url and mq.mqtt.managed are mutually exclusive")
    public static class MqttSpec {
        public static final String DEFAULT_TOPIC = "goim/push";
        public static final String DEFAULT_CLIENT_ID_PREFIX = "imcluster";
        public static final int DEFAULT_PROTOCOL_VERSION = 5;
        public static final String DEFAULT_KEEPALIVE = "10s";
        /** The URL schemes the broker reads: tcp:// plain, ssl:// TLS. */
        public static final String URL_PATTERN = "^(tcp|ssl)://[^\\s]+$";

        @JsonPropertyDescription("URL of an external MQTT 3.1.1 or 5 broker: tcp://host:port, or ssl://host:port for "
                + "TLS (with spec.tls.internal, the internal CA and the role's certificate are used).")
        @Pattern(URL_PATTERN)
        @Size(max = 2048)
        public String url;

        @JsonPropertyDescription("Run a Mosquitto broker for this cluster (plain MQTT on port 1883 inside the "
                + "cluster, reachable only by logic and job when NetworkPolicies are on).")
        public Boolean managed;

        @JsonPropertyDescription("MQTT protocol version: 5, or 3 for MQTT 3.1.1 (job's shared subscription then "
                + "relies on the broker's own $share support).")
        @Default("5")
        @io.fabric8.generator.annotation.Min(3)
        @io.fabric8.generator.annotation.Max(5)
        public Integer protocolVersion;

        @JsonPropertyDescription("Topic of push messages (no wildcards, not starting with $).")
        @Default(DEFAULT_TOPIC)
        @Pattern("^[^$#+\\s][^#+\\s]*$")
        @Size(max = 1024)
        public String topic;

        @JsonPropertyDescription("Prefix of the MQTT client ids of logic and job pods.")
        @Default(DEFAULT_CLIENT_ID_PREFIX)
        @Pattern("^[A-Za-z0-9_-]+$")
        @Size(max = 64)
        public String clientIdPrefix;

        @JsonPropertyDescription("MQTT keepalive (a duration such as 10s): a cut link to the broker shows within "
                + "about twice this.")
        @Default(DEFAULT_KEEPALIVE)
        @Pattern(Durations.PATTERN)
        @Size(max = Durations.MAX_LENGTH)
        public String keepalive;

        @JsonPropertyDescription("Username and password: a Secret with keys '" + MqttAuth.USERNAME_KEY + "' and '"
                + MqttAuth.PASSWORD_KEY + "'. With managed: true, the Mosquitto accepts only this user.")
        public MqttAuth authSecretRef;

        @JsonPropertyDescription("Storage of the managed Mosquitto's persistence (a PersistentVolumeClaim size such "
                + "as 1Gi); an emptyDir when unset.")
        @Pattern(Patterns.QUANTITY)
        @Size(max = 64)
        public String storage;

        @JsonPropertyDescription("Overrides merged into the managed Mosquitto pod template (placement, labels and "
                + "annotations, image pull secrets, env, volumes, extra containers, security contexts); only with "
                + "managed: true.")
        public PodTemplateOverrides podTemplate;

        public boolean isManaged() {
            return Boolean.TRUE.equals(managed);
        }

        public int protocolVersionOrDefault() {
            return protocolVersion == null ? DEFAULT_PROTOCOL_VERSION : protocolVersion;
        }

        public String topicOrDefault() {
            return topic == null ? DEFAULT_TOPIC : topic;
        }

        public String clientIdPrefixOrDefault() {
            return clientIdPrefix == null ? DEFAULT_CLIENT_ID_PREFIX : clientIdPrefix;
        }

        public String keepaliveOrDefault() {
            return keepalive == null ? DEFAULT_KEEPALIVE : keepalive;
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class MqttAuth {
        /** The keys of the credentials Secret (Kafka's SASL Secret uses the same two). */
        public static final String USERNAME_KEY = KafkaAuth.USERNAME_KEY;
        public static final String PASSWORD_KEY = KafkaAuth.PASSWORD_KEY;

        @JsonPropertyDescription("Name of the Secret (keys '" + USERNAME_KEY + "' and '" + PASSWORD_KEY + "') in the "
                + "cluster's namespace.")
        @io.fabric8.generator.annotation.Required
        @Pattern(Patterns.DNS_SUBDOMAIN)
        @Size(max = Patterns.NAME_MAX)
        public String name;
    }
}
