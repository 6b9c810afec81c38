package dev.imcluster.operator.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.config.ConfigLoader;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * spec.config and spec.&lt;role&gt;.config: broker config keys as they are. First what only the operator knows: a key
 * it sets itself or that has a typed field (named with the field to use), a key outside the sections the role reads,
 * a null. Then the broker's own loader and validator (imcluster-broker-config, what the broker runs at start) on each
 * role's file and environment as its pod would get them; each key they refuse is blamed on the layer that brought
 * it ({@link BrokerConfigRenderer#layers}), and nothing the typed fields alone render is reported here.
 */
final class ConfigValidation {
    /** Config keys (paths) the operator renders itself, with what to do instead. */
    static final Map<List<String>, String> OWNED = owned();

    private ConfigValidation() {
    }

    /** The keys of spec.config and every spec.&lt;role&gt;.config that the operator refuses before the broker sees them. */
    static void keys(PubSubClusterSpec s, List<String> p) {
        layer("spec.config", s.config, null, p);
        for (Role role : Role.values()) {
            layer("spec." + role.id() + ".config", BrokerConfigRenderer.roleConfig(s, role), role, p);
        }
    }

    /** What the broker's loader refuses in each role's config, blamed on spec.config or spec.&lt;role&gt;.config. */
    static void broker(PubSubCluster c, List<String> p) {
        PubSubClusterSpec s = c.getSpec();
        boolean shared = set(s.config);
        Set<String> found = new LinkedHashSet<>();
        SwapState swap = SwapState.of(c.getStatus());
        BrokerConfigRenderer.Rendered rendered = BrokerConfigRenderer.render(c, swap);
        for (Role role : Role.values()) {
            Map<String, JsonNode> own = BrokerConfigRenderer.roleConfig(s, role);
            if (!shared && !set(own)) {
                continue;
            }
            Map<String, String> env = DeploymentModel.configEnv(c, role, rendered, swap);
            Map<String, String> defaults = ConfigLoader.roleDefaults(role.id());
            List<String> layers = BrokerConfigRenderer.layers(c, swap, role);
            List<ConfigException.Problem> typed = problems(layers.get(0), env, defaults);
            List<ConfigException.Problem> withShared = problems(layers.get(1), env, defaults);
            List<ConfigException.Problem> withOwn = problems(layers.get(2), env, defaults);
            blame("spec.config", s.config, withShared, typed, found);
            blame("spec." + role.id() + ".config", own, withOwn, withShared, found);
        }
        p.addAll(found);
    }

    private static List<ConfigException.Problem> problems(String yaml, Map<String, String> env,
                                                          Map<String, String> defaults) {
        try {
            ConfigLoader.parse(yaml, env, defaults);
            return List.of();
        } catch (ConfigException e) {
            return e.problems().isEmpty() ? List.of(new ConfigException.Problem("", e.getMessage())) : e.problems();
        }
    }

    /** Reports the problems of {@code layer} that the layers under it do not have. */
    private static void blame(String field, Map<String, JsonNode> layer, List<ConfigException.Problem> with,
                              List<ConfigException.Problem> without, Set<String> found) {
        List<String> given = new ArrayList<>();
        leaves(layer, (path, value) -> given.add(String.join(".", path)));
        for (ConfigException.Problem problem : with) {
            if (without.contains(problem)) {
                continue;
            }
            String key = problem.key();
            boolean named = given.stream().anyMatch(k -> key.equals(k) || key.startsWith(k + ".")
                    || key.startsWith(k + "[") || k.startsWith(key + "."));
            found.add(named ? field + "." + key + ": " + problem.message()
                    : field + ": " + (key.isEmpty() ? "" : key + ": ") + problem.message());
        }
    }

    private static void layer(String field, Map<String, JsonNode> config, Role role, List<String> p) {
        leaves(config, (path, value) -> {
            String key = String.join(".", path);
            if (value == null || value.isNull()) {
                p.add(field + "." + key + " is null: leave the key out to keep the broker's default");
                return;
            }
            for (Map.Entry<List<String>, String> owned : OWNED.entrySet()) {
                if (startsWith(path, owned.getKey())) {
                    p.add(field + "." + key + ": " + owned.getValue());
                    return;
                }
                if (startsWith(owned.getKey(), path)) { // a value where the operator's keys are below
                    p.add(field + "." + key + ": replaces " + String.join(".", owned.getKey()) + ", "
                            + owned.getValue());
                    return;
                }
            }
            List<String> readers = new ArrayList<>();
            for (Role r : Role.values()) {
                if (r.configSections().stream().anyMatch(section -> startsWith(path, split(section)))) {
                    readers.add(r.id());
                }
            }
            // A key no role reads is one the broker does not know: its loader names it.
            if (role != null && !readers.isEmpty() && !readers.contains(role.id())) {
                p.add(field + "." + key + ": " + role.id() + " does not read it; set it in spec.config or spec."
                        + String.join(".config or spec.", readers) + ".config");
            }
        });
    }

    /** Every key a config sets: the path to each value that is not an object (a list is one; {} sets nothing). */
    private static void leaves(Map<String, JsonNode> config, BiConsumer<List<String>, JsonNode> out) {
        if (config != null) {
            config.forEach((key, value) -> leaves(List.of(key), value, out));
        }
    }

    private static void leaves(List<String> path, JsonNode node, BiConsumer<List<String>, JsonNode> out) {
        if (node != null && node.isObject()) {
            node.fields().forEachRemaining(e -> {
                List<String> child = new ArrayList<>(path);
                child.add(e.getKey());
                leaves(child, e.getValue(), out);
            });
        } else {
            out.accept(path, node);
        }
    }

    private static boolean set(Map<String, JsonNode> config) {
        return config != null && !config.isEmpty();
    }

    private static boolean startsWith(List<String> path, List<String> prefix) {
        return path.size() >= prefix.size() && path.subList(0, prefix.size()).equals(prefix);
    }

    private static List<String> split(String dotted) {
        return List.of(dotted.split("\\."));
    }

    private static Map<List<String>, String> owned() {
        Map<List<String>, String> m = new LinkedHashMap<>();
        BiConsumer<String, String> operator = (key, why) -> m.put(split(key), "set by the operator: " + why);
        BiConsumer<String, String> typed = (key, field) -> m.put(split(key), "set " + field + " instead");
        operator.accept("serverId", "each pod's name");
        operator.accept("bindAddress", "the pods' Services and probes reach every interface");
        operator.accept("admin", "probes and metrics use port " + Ports.ADMIN);
        for (String listener : List.of("tcp", "websocket", "grpc", "pubsubGrpc")) {
            operator.accept("comet." + listener, "comet's Services and container ports use it");
        }
        typed.accept("comet.mqtt.enabled", "spec.comet.mqtt.enabled");
        operator.accept("comet.mqtt.port", "comet's Services and container ports use it");
        operator.accept("comet.logicAddress", "logic's Service");
        typed.accept("comet.maxConnections", "spec.comet.maxConnections");
        typed.accept("comet.drainTimeout", "spec.comet.drainTimeout");
        typed.accept("comet.connectRateLimit.rate", "spec.comet.limits.connectsPerSecond");
        typed.accept("comet.connectRateLimit.burst", "spec.comet.limits.connectBurst");
        typed.accept("comet.maxConnectionsPerAddress", "spec.comet.limits.maxConnectionsPerAddress");
        typed.accept("comet.publishRateLimit.rate", "spec.comet.limits.publishesPerSecond");
        typed.accept("comet.publishRateLimit.burst", "spec.comet.limits.publishBurst");
        typed.accept("comet.publishRateLimitPerAddress.rate", "spec.comet.limits.publishesPerAddressPerSecond");
        typed.accept("comet.publishRateLimitPerAddress.burst", "spec.comet.limits.publishPerAddressBurst");
        typed.accept("comet.tls.certFile", "spec.tls.secretName");
        typed.accept("comet.tls.keyFile", "spec.tls.secretName");
        operator.accept("logic.http", "logic's Service and container ports use it");
        operator.accept("logic.grpc", "logic's Service and container ports use it");
        operator.accept("logic.sessionStore", "redis, which every logic replica shares (spec.redis)");
        typed.accept("logic.pushRateLimit.rate", "spec.logic.limits.pushesPerSecond");
        typed.accept("logic.pushRateLimit.burst", "spec.logic.limits.pushBurst");
        typed.accept("logic.auth.mode", "spec.auth.jwt (unset: goim)");
        typed.accept("logic.auth.hs256SecretFile", "spec.auth.jwt.secretRef");
        typed.accept("logic.auth.rs256PublicKeyFile", "spec.auth.jwt.publicKeySecretRef");
        typed.accept("logic.auth.jwksFile", "spec.auth.jwt.jwksSecretRef");
        for (String jwt : List.of("jwksUrl", "algorithms", "clockSkew", "issuer", "audience", "requirePermissions")) {
            typed.accept("logic.auth." + jwt, "spec.auth.jwt." + jwt);
        }
        typed.accept("job.roomBatch.maxMessages", "spec.job.roomBatch.maxMessages");
        typed.accept("job.roomBatch.maxDelay", "spec.job.roomBatch.maxDelay");
        for (String discovery : List.of("mode", "addresses", "dnsName", "port")) {
            operator.accept("job.comets." + discovery, "job finds the comets through their headless Service");
        }
        typed.accept("delivery", "spec.delivery");
        typed.accept("mq.backend", "spec.mq.backend");
        operator.accept("mq.previous", "the backend being left during a backend swap (change spec.mq.backend)");
        typed.accept("mq.kafka.bootstrapServers", "spec.mq.kafka.bootstrapServers");
        typed.accept("mq.kafka.topic", "spec.mq.kafka.topic");
        typed.accept("mq.kafka.tls", "spec.mq.kafka.tls");
        typed.accept("mq.kafka.saslUsername", "spec.mq.kafka.authSecretRef");
        typed.accept("mq.kafka.saslPasswordFile", "spec.mq.kafka.authSecretRef");
        // kafka-clients property names hold dots: one key each below mq.kafka.properties.
        m.put(List.of("mq", "kafka", "properties", "security.protocol"),
                "set spec.mq.kafka.tls and spec.mq.kafka.authSecretRef instead");
        m.put(List.of("mq", "kafka", "properties", "sasl.mechanism"), "set spec.mq.kafka.authSecretRef.mechanism instead");
        m.put(List.of("mq", "kafka", "properties", "sasl.jaas.config"), "set spec.mq.kafka.authSecretRef instead");
        typed.accept("mq.nats.url", "spec.mq.nats.url or spec.mq.nats.managed");
        typed.accept("mq.nats.stream", "spec.mq.nats.stream");
        typed.accept("mq.nats.subject", "spec.mq.nats.subject");
        typed.accept("mq.mqtt.url", "spec.mq.mqtt.url or spec.mq.mqtt.managed");
        typed.accept("mq.mqtt.protocolVersion", "spec.mq.mqtt.protocolVersion");
        typed.accept("mq.mqtt.topic", "spec.mq.mqtt.topic");
        typed.accept("mq.mqtt.clientIdPrefix", "spec.mq.mqtt.clientIdPrefix");
        typed.accept("mq.mqtt.keepalive", "spec.mq.mqtt.keepalive");
        typed.accept("mq.mqtt.username", "spec.mq.mqtt.authSecretRef");
        typed.accept("mq.mqtt.passwordFile", "spec.mq.mqtt.authSecretRef");
        operator.accept("mq.redis.address", "the queue's streams live in spec.redis's Redis");
        typed.accept("mq.redis.stream", "spec.mq.redis.stream");
        typed.accept("redis.address", "spec.redis.external.address");
        typed.accept("redis.database", "spec.redis.external.database");
        typed.accept("redis.tls", "spec.redis.external.tls");
        typed.accept("redis.passwordFile", "spec.redis.external.passwordSecretRef");
        typed.accept("redis.sentinel.masterName", "spec.redis.external.sentinel.masterName");
        typed.accept("redis.sentinel.addresses", "spec.redis.external.sentinel.addresses");
        typed.accept("redis.sentinel.passwordFile", "spec.redis.external.sentinel.passwordSecretRef");
        typed.accept("security.internalTokenFile", "spec.auth.internalTokenSecretRef");
        for (String tls : List.of("certFile", "keyFile", "caFile", "serverName")) {
            typed.accept("security.internalTls." + tls, "spec.tls.internal");
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
