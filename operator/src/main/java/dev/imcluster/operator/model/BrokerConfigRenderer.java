package dev.imcluster.operator.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.imcluster.operator.api.v1alpha1.AuthSpec;
import dev.imcluster.operator.api.v1alpha1.CometSpec;
import dev.imcluster.operator.api.v1alpha1.JobSpec;
import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterSpec;
import dev.imcluster.operator.api.v1alpha1.RedisSpec;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Renders the broker's YAML config (the contract with broker-image: keys are those of its
 * {@code dev.imcluster.broker.config} classes) and a hash per role of only the sections that role reads, so that a
 * change rolls only the roles it affects. Pure: same resource in, same text out.
 */
public final class BrokerConfigRenderer {

    /** Pod-template annotation carrying the role's config hash. */
    public static final String CONFIG_HASH_ANNOTATION = "pubsub.imcluster.dev/config-hash";
    public static final String DEFAULT_JWT_SECRET_KEY = "secret";
    public static final String DEFAULT_JWT_PUBLIC_KEY = "public.pem";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private BrokerConfigRenderer() {
    }

    /** The config text and the per-role hashes. */
    public record Rendered(String yaml, Map<Role, String> hashes) {
        public String hash(Role role) {
            return hashes.get(role);
        }
    }

    public static Rendered render(PubSubCluster cluster) {
        Map<String, Object> tree = tree(cluster);
        Map<Role, String> hashes = new EnumMap<>(Role.class);
        for (Role role : Role.values()) {
            Map<String, Object> part = new LinkedHashMap<>();
            role.configSections().forEach(k -> part.put(k, tree.get(k)));
            hashes.put(role, sha256(toYaml(part)));
        }
        return new Rendered(toYaml(tree), hashes);
    }

    static Map<String, Object> tree(PubSubCluster cluster) {
        PubSubClusterSpec spec = cluster.getSpec();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("bindAddress", "0.0.0.0");
        root.put("admin", ordered("port", Ports.ADMIN));
        root.put("comet", comet(cluster, spec.comet));
        root.put("logic", logic(spec.auth));
        root.put("job", job(cluster, spec.job));
        root.put("mq", mq(cluster, spec.mq));
        root.put("redis", redis(cluster, spec.redis));
        return root;
    }

    private static Map<String, Object> comet(PubSubCluster cluster, CometSpec comet) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tcp", ordered("port", Ports.COMET_TCP));
        m.put("websocket", ordered("port", Ports.COMET_WS, "path", "/sub"));
        m.put("grpc", ordered("port", Ports.COMET_GRPC));
        m.put("pubsubGrpc", ordered("port", Ports.COMET_PUBSUB_GRPC));
        m.put("logicAddress", Names.role(cluster, Role.LOGIC) + ":" + Ports.LOGIC_GRPC);
        if (comet != null && comet.maxConnections != null) {
            m.put("maxConnections", comet.maxConnections);
        }
        if (comet != null && comet.drainTimeout != null) {
            m.put("drainTimeout", comet.drainTimeout);
        }
        return m;
    }

    private static Map<String, Object> logic(AuthSpec auth) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("http", ordered("port", Ports.LOGIC_HTTP));
        m.put("grpc", ordered("port", Ports.LOGIC_GRPC));
        m.put("sessionStore", "redis");
        Map<String, Object> a = new LinkedHashMap<>();
        if (auth == null || auth.jwt == null) {
            a.put("mode", "goim");
        } else {
            a.put("mode", "jwt");
            if (auth.jwt.secretRef != null) {
                a.put("hs256SecretFile", Mounts.AUTH_DIR + "/" + auth.jwt.secretRef.keyOr(DEFAULT_JWT_SECRET_KEY));
            } else if (auth.jwt.publicKeySecretRef != null) {
                a.put("rs256PublicKeyFile",
                        Mounts.AUTH_DIR + "/" + auth.jwt.publicKeySecretRef.keyOr(DEFAULT_JWT_PUBLIC_KEY));
            }
            if (auth.jwt.issuer != null) {
                a.put("issuer", auth.jwt.issuer);
            }
            if (auth.jwt.audience != null) {
                a.put("audience", auth.jwt.audience);
            }
        }
        m.put("auth", a);
        return m;
    }

    private static Map<String, Object> job(PubSubCluster cluster, JobSpec job) {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> batch = new LinkedHashMap<>();
        JobSpec.RoomBatch rb = job == null ? null : job.roomBatch;
        batch.put("maxMessages", rb == null || rb.maxMessages == null ? 20 : rb.maxMessages);
        batch.put("maxDelay", rb == null || rb.maxDelay == null ? "1s" : rb.maxDelay);
        m.put("roomBatch", batch);
        Map<String, Object> comets = new LinkedHashMap<>();
        // DNS discovery through the headless Service: works on every API server version and needs no RBAC.
        comets.put("mode", "dns");
        comets.put("dnsName", Names.serviceDns(cluster, Names.cometHeadless(cluster)));
        comets.put("port", Ports.COMET_GRPC);
        m.put("comets", comets);
        return m;
    }

    private static Map<String, Object> mq(PubSubCluster cluster, MqSpec mq) {
        Map<String, Object> m = new LinkedHashMap<>();
        MqSpec.Backend backend = mq == null || mq.backend == null ? MqSpec.Backend.redis : mq.backend;
        m.put("backend", backend.name());
        switch (backend) {
            case kafka -> m.put("kafka", kafka(mq.kafka));
            case nats -> m.put("nats", nats(cluster, mq.nats));
            case redis -> {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("stream", mq != null && mq.redis != null && mq.redis.stream != null ? mq.redis.stream : "goim-push");
                m.put("redis", r);
            }
        }
        return m;
    }

    private static Map<String, Object> kafka(MqSpec.KafkaSpec k) {
        Map<String, Object> m = new LinkedHashMap<>();
        // Rendered even when missing so that the broker's validator names the key; the reconciler refuses first.
        m.put("bootstrapServers", k == null ? null : k.bootstrapServers);
        m.put("topic", k == null || k.topic == null ? "goim-push-topic" : k.topic);
        boolean tls = k != null && Boolean.TRUE.equals(k.tls);
        boolean sasl = k != null && k.authSecretRef != null;
        Map<String, Object> props = new LinkedHashMap<>();
        if (tls || sasl) {
            props.put("security.protocol", (sasl ? "SASL_" : "") + (tls ? "SSL" : "PLAINTEXT"));
        }
        if (sasl) {
            MqSpec.SaslMechanism mech = k.authSecretRef.mechanism == null
                    ? MqSpec.SaslMechanism.SCRAM_SHA_512 : k.authSecretRef.mechanism;
            props.put("sasl.mechanism", mech.wireName());
            // The username comes from the Secret via the IMCLUSTER__MQ__KAFKA__SASLUSERNAME env override.
            m.put("saslPasswordFile", Mounts.KAFKA_DIR + "/password");
        }
        if (!props.isEmpty()) {
            m.put("properties", props);
        }
        return m;
    }

    private static Map<String, Object> nats(PubSubCluster cluster, MqSpec.NatsSpec n) {
        Map<String, Object> m = new LinkedHashMap<>();
        String url = n != null && n.isManaged()
                ? "nats://" + Names.nats(cluster) + ":" + Ports.NATS
                : n == null ? null : n.url;
        m.put("url", url);
        m.put("stream", n == null || n.stream == null ? "GOIM" : n.stream);
        m.put("subject", n == null || n.subject == null ? "goim.push" : n.subject);
        m.put("mode", "jetstream");
        return m;
    }

    private static Map<String, Object> redis(PubSubCluster cluster, RedisSpec redis) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (redis != null && redis.external != null) {
            m.put("address", redis.external.address);
            if (redis.external.database != null) {
                m.put("database", redis.external.database);
            }
            m.put("tls", Boolean.TRUE.equals(redis.external.tls));
        } else {
            m.put("address", Names.redis(cluster) + ":" + Ports.REDIS);
            m.put("tls", false);
        }
        // The password, when there is one, comes from the IMCLUSTER_REDIS_PASSWORD env var (a Secret).
        return m;
    }

    /** Insertion-ordered map: Map.of iterates in a per-JVM order, which would change hashes across restarts. */
    private static Map<String, Object> ordered(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    static String toYaml(Object tree) {
        try {
            return YAML.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String sha256(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
