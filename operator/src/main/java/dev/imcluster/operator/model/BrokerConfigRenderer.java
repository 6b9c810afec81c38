package dev.imcluster.operator.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imcluster.broker.config.ConfigLoader;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.imcluster.operator.api.v1alpha1.AuthSpec;
import dev.imcluster.operator.api.v1alpha1.CometSpec;
import dev.imcluster.operator.api.v1alpha1.DeliverySpec;
import dev.imcluster.operator.api.v1alpha1.JobSpec;
import dev.imcluster.operator.api.v1alpha1.LogicSpec;
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
import java.util.List;
import java.util.Map;

/**
 * (Over 300 lines: one section per broker config class, so the whole contract with broker-image reads in one place.)
 *
 * <p>Renders the broker's YAML config (the contract with broker-image: keys are those of its
 * {@code dev.imcluster.broker.config} classes) and a hash per role of only the sections that role reads, so that a
 * change rolls only the roles it affects. Pure: same resource in, same text out.
 */
public final class BrokerConfigRenderer {

    /** Pod-template annotation carrying the role's config hash. */
    public static final String CONFIG_HASH_ANNOTATION = "pubsub.imcluster.dev/config-hash";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> PLAIN = new TypeReference<>() { };

    private BrokerConfigRenderer() {
    }

    /** env override of mq.backend (the broker's ConfigLoader applies IMCLUSTER__A__B over the file). */
    public static final String MQ_BACKEND_ENV = "IMCLUSTER__MQ__BACKEND";
    /** env override of mq.previous.backend: job's second subscription during a backend swap. */
    public static final String MQ_PREVIOUS_ENV = "IMCLUSTER__MQ__PREVIOUS__BACKEND";

    /**
     * The config text, the per-role hashes and per-role env overrides. The file is shared; a role with its own
     * spec.&lt;role&gt;.config gets a file of its own ({@code roleYaml}: the shared one with that config merged over
     * it). During a backend swap job's backends differ from logic's, so job gets them as env overrides, and each hash
     * covers the role's <em>effective</em> config (file + overrides, with only the queue sections it uses), so adding
     * the new backend's section to the file rolls nobody by itself.
     */
    public record Rendered(String yaml, Map<Role, String> roleYaml, Map<Role, String> hashes,
                           Map<Role, Map<String, String>> env) {
        public String hash(Role role) {
            return hashes.get(role);
        }

        /** The ConfigMap key of the role's file: its own, or the shared {@link Mounts#CONFIG_KEY}. */
        public String key(Role role) {
            return roleYaml.containsKey(role) ? roleKey(role) : Mounts.CONFIG_KEY;
        }

        /** The text of the role's file. */
        public String yaml(Role role) {
            return roleYaml.getOrDefault(role, yaml);
        }

        /** Extra environment of the role's container (empty outside a backend swap). */
        public Map<String, String> env(Role role) {
            return env.getOrDefault(role, Map.of());
        }
    }

    /** Renders for the backend swap recorded in the cluster's status, if any. */
    public static Rendered render(PubSubCluster cluster) {
        return render(cluster, SwapState.of(cluster.getStatus()));
    }

    /** Renders for {@code swap} (null: no swap in progress, every role on spec.mq.backend). */
    public static Rendered render(PubSubCluster cluster, SwapState swap) {
        return render(cluster, swap, true, true);
    }

    /** With {@code shared}: spec.config layered over the typed fields; with {@code own}: each spec.&lt;role&gt;.config. */
    private static Rendered render(PubSubCluster cluster, SwapState swap, boolean shared, boolean own) {
        MqSpec.Backend specBackend = specBackend(cluster);
        MqSpec.Backend logicBackend = swap == null ? specBackend : swap.logicBackend();
        MqSpec.Backend jobBackend = swap == null ? specBackend : swap.jobBackend();
        MqSpec.Backend jobPrevious = swap == null ? null : swap.jobPrevious();
        java.util.Set<MqSpec.Backend> sections = new java.util.LinkedHashSet<>();
        sections.add(logicBackend);
        sections.add(jobBackend);
        if (jobPrevious != null) {
            sections.add(jobPrevious);
        }
        Map<String, Object> tree = tree(cluster, logicBackend, sections);
        if (shared) {
            tree = withConfig(tree, cluster.getSpec().config);
        }
        Map<Role, String> roleYaml = new EnumMap<>(Role.class);
        Map<Role, String> hashes = new EnumMap<>(Role.class);
        Map<Role, Map<String, String>> env = new EnumMap<>(Role.class);
        for (Role role : Role.values()) {
            Map<String, Object> file = own ? withConfig(tree, roleConfig(cluster.getSpec(), role)) : tree;
            if (file != tree) {
                roleYaml.put(role, toYaml(file));
            }
            Map<String, Object> part = new LinkedHashMap<>();
            // An absent section is left out, so that a section added to a role rolls no cluster that does not set it.
            for (String k : role.configSections()) {
                Object section = section(file, k);
                if (section != null) {
                    part.put(k, section);
                }
            }
            if (part.containsKey("mq")) {
                boolean job = role == Role.JOB;
                part.put("mq", effectiveMq(file, job ? jobBackend : logicBackend, job ? jobPrevious : null));
            }
            hashes.put(role, sha256(toYaml(part)));
        }
        if (jobBackend != logicBackend || jobPrevious != null) {
            Map<String, String> jobEnv = new LinkedHashMap<>();
            jobEnv.put(MQ_BACKEND_ENV, jobBackend.name());
            if (jobPrevious != null) {
                jobEnv.put(MQ_PREVIOUS_ENV, jobPrevious.name());
            }
            env.put(Role.JOB, jobEnv);
        }
        return new Rendered(toYaml(tree), roleYaml, hashes, env);
    }

    /** The ConfigMap key of a role's own file. */
    static String roleKey(Role role) {
        return role.id() + ".yaml";
    }

    /**
     * The role's file in layers, each over the one before: what the typed fields render, then spec.config, then
     * spec.&lt;role&gt;.config; so that a key the broker refuses is blamed on the layer that brought it.
     */
    static List<String> layers(PubSubCluster cluster, SwapState swap, Role role) {
        return List.of(render(cluster, swap, false, false).yaml(role), render(cluster, swap, true, false).yaml(role),
                render(cluster, swap, true, true).yaml(role));
    }

    /** spec.&lt;role&gt;.config, or null. */
    static Map<String, JsonNode> roleConfig(PubSubClusterSpec spec, Role role) {
        var roleSpec = DeploymentModel.roleSpec(spec, role);
        return roleSpec == null ? null : roleSpec.config;
    }

    /** {@code tree} with config keys layered over it as the broker layers its file ({@link ConfigLoader#merge}). */
    private static Map<String, Object> withConfig(Map<String, Object> tree, Map<String, JsonNode> config) {
        if (config == null || config.isEmpty()) {
            return tree; // unchanged, to the byte: a cluster without config keys keeps its hashes
        }
        ObjectNode merged = JSON.valueToTree(tree);
        ConfigLoader.merge(merged, JSON.valueToTree(config));
        return JSON.convertValue(merged, PLAIN);
    }

    /** The subtree at a dotted path such as {@code logic.auth}, or null. */
    @SuppressWarnings("unchecked")
    private static Object section(Map<String, Object> tree, String path) {
        Object node = tree;
        for (String k : path.split("\\.")) {
            node = node instanceof Map<?, ?> m ? ((Map<String, Object>) m).get(k) : null;
        }
        return node;
    }

    public static MqSpec.Backend specBackend(PubSubCluster cluster) {
        MqSpec mq = cluster.getSpec().mq;
        return mq == null || mq.backend == null ? MqSpec.Backend.redis : mq.backend;
    }

    /** What one role reads of mq: its backend (and previous), only those backends' sections, and the common keys. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> effectiveMq(Map<String, Object> tree, MqSpec.Backend backend,
                                                   MqSpec.Backend previous) {
        Map<String, Object> file = (Map<String, Object>) tree.get("mq");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", backend.name());
        if (previous != null) {
            m.put("previous", ordered("backend", previous.name()));
        }
        m.put(backend.name(), file.get(backend.name()));
        if (previous != null) {
            m.put(previous.name(), file.get(previous.name()));
        }
        // spec.config's keys beside the backends' sections (mq.maxInFlight, ...): in the hash only when set.
        java.util.Set<String> sectionsAndBackend = new java.util.HashSet<>(List.of("backend", "previous"));
        for (MqSpec.Backend b : MqSpec.Backend.values()) {
            sectionsAndBackend.add(b.name());
        }
        file.forEach((k, v) -> {
            if (!sectionsAndBackend.contains(k)) {
                m.put(k, v);
            }
        });
        return m;
    }

    static Map<String, Object> tree(PubSubCluster cluster) {
        MqSpec.Backend b = specBackend(cluster);
        return tree(cluster, b, java.util.Set.of(b));
    }

    private static Map<String, Object> tree(PubSubCluster cluster, MqSpec.Backend backend,
                                            java.util.Set<MqSpec.Backend> sections) {
        PubSubClusterSpec spec = cluster.getSpec();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("bindAddress", "0.0.0.0");
        root.put("admin", ordered("port", Ports.ADMIN));
        root.put("comet", comet(cluster, spec.comet));
        root.put("logic", logic(spec.auth, spec.logic));
        root.put("job", job(cluster, spec.job));
        if (spec.delivery != null) { // unset: the broker's own defaults
            root.put("delivery", delivery(spec.delivery));
        }
        root.put("mq", mq(cluster, spec.mq, backend, sections));
        root.put("redis", redis(cluster, spec.redis));
        Map<String, Object> security = ordered("internalTokenFile",
                Mounts.INTERNAL_TOKEN_DIR + "/" + SecretRefs.internalToken(cluster).key());
        if (spec.tls != null && spec.tls.internalEnabled()) {
            // Each role mounts its own Secret at the same path; they reload it when kubelet updates the volume.
            security.put("internalTls", ordered("certFile", Mounts.INTERNAL_TLS_DIR + "/" + InternalCertificates.TLS_CERT,
                    "keyFile", Mounts.INTERNAL_TLS_DIR + "/" + InternalCertificates.TLS_KEY,
                    "caFile", Mounts.INTERNAL_TLS_DIR + "/" + InternalCertificates.CA_CERT,
                    "serverName", InternalCertificates.serverName(cluster)));
        }
        root.put("security", security);
        return root;
    }

    private static Map<String, Object> comet(PubSubCluster cluster, CometSpec comet) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tcp", ordered("port", Ports.COMET_TCP));
        m.put("websocket", ordered("port", Ports.COMET_WS, "path", "/sub"));
        m.put("grpc", ordered("port", Ports.COMET_GRPC));
        m.put("pubsubGrpc", ordered("port", Ports.COMET_PUBSUB_GRPC));
        if (MqttModel.cometListener(cluster)) { // absent when off: the broker's default is off too
            m.put("mqtt", ordered("enabled", true, "port", Ports.MQTT));
        }
        m.put("logicAddress", Names.role(cluster, Role.LOGIC) + ":" + Ports.LOGIC_GRPC);
        if (comet != null && comet.maxConnections != null) {
            m.put("maxConnections", comet.maxConnections);
        }
        if (comet != null && comet.drainTimeout != null) {
            m.put("drainTimeout", comet.drainTimeout);
        }
        CometSpec.Limits limits = comet == null || comet.limits == null ? new CometSpec.Limits() : comet.limits;
        // Off unless set: in a cluster the peer comet sees is often a node (kube-proxy's SNAT behind a LoadBalancer
        // or NodePort Service), an ingress controller or a proxy, shared by many clients.
        putRateLimit(m, "connectRateLimit", limits.connectsPerSecond == null ? 0 : limits.connectsPerSecond,
                limits.connectBurst);
        // The other unset fields: the broker's own defaults.
        if (limits.maxConnectionsPerAddress != null) {
            m.put("maxConnectionsPerAddress", limits.maxConnectionsPerAddress);
        }
        putRateLimit(m, "publishRateLimit", limits.publishesPerSecond, limits.publishBurst);
        putRateLimit(m, "publishRateLimitPerAddress", limits.publishesPerAddressPerSecond,
                limits.publishPerAddressBurst);
        if (cluster.getSpec().tls != null && cluster.getSpec().tls.hasClientCertificate()) {
            // A kubernetes.io/tls Secret; comet re-reads it when kubelet updates the volume (rotation).
            m.put("tls", ordered("certFile", Mounts.TLS_DIR + "/tls.crt", "keyFile", Mounts.TLS_DIR + "/tls.key"));
        }
        return m;
    }

    /** A broker RateLimitConfig of the fields set, if any. */
    private static void putRateLimit(Map<String, Object> m, String key, Integer rate, Integer burst) {
        Map<String, Object> r = new LinkedHashMap<>();
        if (rate != null) {
            r.put("rate", rate);
        }
        if (burst != null) {
            r.put("burst", burst);
        }
        if (!r.isEmpty()) {
            m.put(key, r);
        }
    }

    private static Map<String, Object> logic(AuthSpec auth, LogicSpec logic) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("http", ordered("port", Ports.LOGIC_HTTP));
        m.put("grpc", ordered("port", Ports.LOGIC_GRPC));
        m.put("sessionStore", "redis");
        if (logic != null && logic.limits != null) {
            putRateLimit(m, "pushRateLimit", logic.limits.pushesPerSecond, logic.limits.pushBurst);
        }
        Map<String, Object> a = new LinkedHashMap<>();
        if (auth == null || auth.jwt == null) {
            a.put("mode", "goim");
        } else {
            a.put("mode", "jwt");
            if (auth.jwt.secretRef != null) {
                a.put("hs256SecretFile", Mounts.AUTH_DIR + "/" + auth.jwt.secretRef.keyOr(AuthSpec.Jwt.DEFAULT_SECRET_KEY));
            } else if (auth.jwt.publicKeySecretRef != null) {
                a.put("rs256PublicKeyFile",
                        Mounts.AUTH_DIR + "/" + auth.jwt.publicKeySecretRef.keyOr(AuthSpec.Jwt.DEFAULT_PUBLIC_KEY));
            } else if (auth.jwt.jwksSecretRef != null) {
                a.put("jwksFile", Mounts.AUTH_DIR + "/" + auth.jwt.jwksSecretRef.keyOr(AuthSpec.Jwt.DEFAULT_JWKS_KEY));
            }
            if (auth.jwt.jwksUrl != null) {
                a.put("jwksUrl", auth.jwt.jwksUrl);
            }
            if (auth.jwt.algorithms != null && !auth.jwt.algorithms.isEmpty()) {
                a.put("algorithms", auth.jwt.algorithms.stream().map(Enum::name).toList());
            }
            if (auth.jwt.clockSkew != null) {
                a.put("clockSkew", auth.jwt.clockSkew);
            }
            if (auth.jwt.issuer != null) {
                a.put("issuer", auth.jwt.issuer);
            }
            if (auth.jwt.audience != null) {
                a.put("audience", auth.jwt.audience);
            }
            if (Boolean.TRUE.equals(auth.jwt.requirePermissions)) {
                a.put("requirePermissions", true);
            }
        }
        m.put("auth", a);
        return m;
    }

    private static Map<String, Object> job(PubSubCluster cluster, JobSpec job) {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> batch = new LinkedHashMap<>();
        JobSpec.RoomBatch rb = job == null ? null : job.roomBatch;
        batch.put("maxMessages", JobSpec.RoomBatch.maxMessagesOf(rb));
        batch.put("maxDelay", JobSpec.RoomBatch.maxDelayOf(rb));
        m.put("roomBatch", batch);
        Map<String, Object> comets = new LinkedHashMap<>();
        // DNS discovery through the headless Service: works on every API server version and needs no RBAC.
        comets.put("mode", "dns");
        comets.put("dnsName", Names.serviceDns(cluster, Names.cometHeadless(cluster)));
        comets.put("port", Ports.COMET_GRPC);
        m.put("comets", comets);
        return m;
    }

    private static Map<String, Object> delivery(DeliverySpec delivery) {
        java.util.List<Object> history = new java.util.ArrayList<>();
        if (delivery.history != null) {
            delivery.history.forEach(h -> history.add(ordered("pattern", h.pattern, "size", h.sizeOrDefault(),
                    "ttl", h.ttlOrDefault())));
        }
        Map<String, Object> m = ordered("history", history);
        if (delivery.presence != null) {
            m.put("presence", delivery.presence);
        }
        m.put("dedupe", ordered("window", DeliverySpec.Dedupe.windowOf(delivery.dedupe),
                "maxIds", DeliverySpec.Dedupe.maxIdsOf(delivery.dedupe)));
        return m;
    }

    /** {@code backend} is the file's mq.backend (logic's); {@code sections} the backends whose settings appear. */
    private static Map<String, Object> mq(PubSubCluster cluster, MqSpec mq, MqSpec.Backend backend,
                                          java.util.Set<MqSpec.Backend> sections) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", backend.name());
        for (MqSpec.Backend b : MqSpec.Backend.values()) { // fixed order: the text must not depend on the swap's direction
            if (!sections.contains(b)) {
                continue;
            }
            switch (b) {
                case kafka -> m.put("kafka", kafka(mq == null ? null : mq.kafka));
                case nats -> m.put("nats", nats(cluster, mq == null ? null : mq.nats));
                case mqtt -> m.put("mqtt", mqtt(cluster, mq == null ? null : mq.mqtt));
                case redis -> {
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("stream", MqSpec.RedisStreamSpec.streamOf(mq == null ? null : mq.redis));
                    m.put("redis", r);
                }
            }
        }
        return m;
    }

    private static Map<String, Object> kafka(MqSpec.KafkaSpec k) {
        Map<String, Object> m = new LinkedHashMap<>();
        // Rendered even when missing so that the broker's validator names the key; the reconciler refuses first.
        m.put("bootstrapServers", k == null ? null : k.bootstrapServers);
        m.put("topic", k == null ? MqSpec.KafkaSpec.DEFAULT_TOPIC : k.topicOrDefault());
        boolean tls = k != null && Boolean.TRUE.equals(k.tls);
        boolean sasl = k != null && k.authSecretRef != null;
        if (tls) {
            // The broker then speaks SSL (SASL_SSL with SASL) and, with security.internalTls, trusts the internal CA
            // beside the JVM's public CAs and presents the role's certificate.
            m.put("tls", true);
        }
        Map<String, Object> props = new LinkedHashMap<>();
        if (sasl && !tls) {
            props.put("security.protocol", "SASL_PLAINTEXT"); // the broker's default with SASL is SASL_SSL
        }
        if (sasl) {
            props.put("sasl.mechanism", k.authSecretRef.mechanismOrDefault().wireName());
            // The username comes from the Secret via the IMCLUSTER__MQ__KAFKA__SASLUSERNAME env override.
            m.put("saslPasswordFile", Mounts.KAFKA_DIR + "/" + MqSpec.KafkaAuth.PASSWORD_KEY);
        }
        if (!props.isEmpty()) {
            m.put("properties", props);
        }
        return m;
    }

    private static Map<String, Object> nats(PubSubCluster cluster, MqSpec.NatsSpec n) {
        Map<String, Object> m = new LinkedHashMap<>();
        String url = n != null && n.isManaged()
                ? (ManagedBackend.withTls(cluster).contains(ManagedBackend.NATS) ? "tls://" : "nats://")
                        + Names.nats(cluster) + ":" + Ports.NATS
                : n == null ? null : n.url;
        m.put("url", url);
        m.put("stream", n == null ? MqSpec.NatsSpec.DEFAULT_STREAM : n.streamOrDefault());
        m.put("subject", n == null ? MqSpec.NatsSpec.DEFAULT_SUBJECT : n.subjectOrDefault());
        m.put("mode", "jetstream");
        if (n != null && n.isManaged() && n.replicasOrDefault() > 1) {
            m.put("replicas", MqSpec.NatsSpec.CLUSTER_STREAM_REPLICAS);
        }
        return m;
    }

    private static Map<String, Object> mqtt(PubSubCluster cluster, MqSpec.MqttSpec q) {
        MqSpec.MqttSpec s = q == null ? new MqSpec.MqttSpec() : q;
        Map<String, Object> m = ordered("url", MqttModel.url(cluster, q), "protocolVersion", s.protocolVersionOrDefault(),
                "topic", s.topicOrDefault(), "clientIdPrefix", s.clientIdPrefixOrDefault(),
                "keepalive", s.keepaliveOrDefault());
        if (s.authSecretRef != null) {
            // The username comes from the Secret via the IMCLUSTER__MQ__MQTT__USERNAME env override.
            m.put("passwordFile", Mounts.MQTT_DIR + "/" + MqSpec.MqttAuth.PASSWORD_KEY);
        }
        return m;
    }

    private static Map<String, Object> redis(PubSubCluster cluster, RedisSpec redis) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (redis != null && redis.external != null && redis.external.sentinel != null) {
            // The sentinels' password, when there is one, comes from IMCLUSTER_REDIS_SENTINEL_PASSWORD (a Secret).
            m.put("sentinel", ordered("masterName", redis.external.sentinel.masterName,
                    "addresses", List.copyOf(redis.external.sentinel.addresses)));
        }
        if (redis != null && redis.external != null) {
            if (redis.external.address != null) {
                m.put("address", redis.external.address);
            }
            if (redis.external.database != null) {
                m.put("database", redis.external.database);
            }
            m.put("tls", Boolean.TRUE.equals(redis.external.tls));
        } else {
            m.put("address", Names.redis(cluster) + ":" + Ports.REDIS);
            // With internal TLS the managed Redis speaks TLS only; the roles present their certificate to it.
            m.put("tls", ManagedBackend.withTls(cluster).contains(ManagedBackend.REDIS));
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
