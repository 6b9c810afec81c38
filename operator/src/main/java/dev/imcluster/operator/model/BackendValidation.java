package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.RedisSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterSpec;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.imcluster.operator.model.SpecValidation.shorten;

/** The spec's queue backend and Redis: required and exclusive settings, a swap's still-needed ones, host:port lists. */
final class BackendValidation {
    private BackendValidation() {
    }

    /** The queue backend's and the session Redis's settings: what each backend needs, and what excludes what. */
    static void settings(PubSubCluster c, List<String> p) {
        PubSubClusterSpec s = c.getSpec();
        MqSpec mq = s.mq;
        if (mq != null && mq.backend == MqSpec.Backend.kafka && !configured(MqSpec.Backend.kafka, mq)) {
            p.add("spec.mq.kafka.bootstrapServers is required when spec.mq.backend is kafka");
        }
        if (mq != null && mq.backend == MqSpec.Backend.nats && !configured(MqSpec.Backend.nats, mq)) {
            p.add("spec.mq.nats needs url, or managed: true, when spec.mq.backend is nats");
        }
        if (mq != null && mq.backend == MqSpec.Backend.mqtt && !configured(MqSpec.Backend.mqtt, mq)) {
            p.add("spec.mq.mqtt needs url, or managed: true, when spec.mq.backend is mqtt");
        }
        if (mq != null) {
            stillNeeded(c, mq, p);
        }
        if (mq != null && mq.nats != null && mq.nats.url != null && mq.nats.isManaged()) {
            p.add("spec.mq.nats.url and spec.mq.nats.managed are mutually exclusive");
        }
        if (mq != null && mq.nats != null && mq.nats.replicas != null) {
            int n = mq.nats.replicas;
            if (n != 1 && n != 3 && n != 5) {
                p.add("spec." + MqSpec.NatsSpec.REPLICAS_ODD + ", got " + n);
            } else if (n != 1 && !mq.nats.isManaged()) {
                p.add("spec." + MqSpec.NatsSpec.REPLICAS_MANAGED);
            }
        }
        if (mq != null && mq.mqtt != null) {
            mqtt(mq.mqtt, p);
        }
        if (s.redis != null && s.redis.managed != null && s.redis.external != null) {
            p.add("spec.redis.managed and spec.redis.external are mutually exclusive");
        }
        if (s.redis != null && s.redis.external != null) {
            RedisSpec.External e = s.redis.external;
            boolean address = e.address != null && !e.address.isBlank();
            if (address == (e.sentinel != null)) {
                p.add("spec.redis.external needs exactly one of address and sentinel");
            }
            if (e.sentinel != null) {
                if (e.sentinel.masterName == null || e.sentinel.masterName.isBlank()) {
                    p.add("spec.redis.external.sentinel.masterName is required");
                }
                if (e.sentinel.addresses == null || e.sentinel.addresses.isEmpty()) {
                    p.add("spec.redis.external.sentinel.addresses needs at least one host:port");
                }
            }
        }
    }

    /**
     * What the schema checks too (so that a server without it, or an older CRD, still refuses it), and what it
     * cannot: the url's port, and that the two managed-only fields come with managed.
     */
    private static void mqtt(MqSpec.MqttSpec m, List<String> p) {
        if (m.url != null && m.isManaged()) {
            p.add("spec.mq.mqtt.url and spec.mq.mqtt.managed are mutually exclusive");
        }
        if (m.url != null) {
            mqttUrl(m.url, p);
        }
        if (m.protocolVersion != null && m.protocolVersion != 3 && m.protocolVersion != 5) {
            p.add("spec.mq.mqtt.protocolVersion must be 5 or 3 (MQTT 3.1.1), got " + m.protocolVersion);
        }
        if (m.storage != null && !m.isManaged()) {
            p.add("spec.mq.mqtt.storage is only for a managed Mosquitto: set spec.mq.mqtt.managed: true or remove "
                    + "storage");
        }
    }

    private static void mqttUrl(String url, List<String> p) {
        if (!java.util.regex.Pattern.matches(MqSpec.MqttSpec.URL_PATTERN, url)) {
            p.add("spec.mq.mqtt.url: '" + shorten(url) + "' must start with tcp:// (plain) or ssl:// (TLS)");
            return;
        }
        String rest = url.substring(url.indexOf("://") + 3);
        if (rest.endsWith("/")) {
            rest = rest.substring(0, rest.length() - 1);
        }
        if (rest.contains("/") || rest.contains("@") || rest.contains("?")) {
            p.add("spec.mq.mqtt.url: '" + shorten(url) + "' must be scheme://host:port, without user, path or query "
                    + "(credentials go in spec.mq.mqtt.authSecretRef)");
            return;
        }
        hostPort("spec.mq.mqtt.url", rest, p);
    }

    /** Storage settings only shape a NATS the operator runs. */
    static void natsStorage(MqSpec mq, List<String> p) {
        if (mq != null && mq.nats != null && mq.nats.storage != null && !mq.nats.isManaged()) {
            p.add("spec.mq.nats.storage is only for a managed NATS: set spec.mq.nats.managed: true or remove storage");
        }
    }

    /**
     * The backends the cluster still runs on (status.backend.active, and both ends of a swap in progress) keep their
     * settings until a swap away from them is Complete: a spec that changes the backend and drops the old one's
     * settings in one edit would leave the swap that edit starts nothing to drain. The CRD's transition rules on spec
     * refuse the same edit on API servers that run CEL.
     */
    private static void stillNeeded(PubSubCluster c, MqSpec mq, List<String> p) {
        SwapState swap = SwapState.of(c.getStatus());
        MqSpec.Backend active = c.getStatus() == null || c.getStatus().backend == null ? null
                : SwapState.backend(c.getStatus().backend.active);
        Set<MqSpec.Backend> inUse = new java.util.LinkedHashSet<>();
        if (active != null) {
            inUse.add(active);
        }
        if (swap != null) {
            inUse.add(swap.from());
            inUse.add(swap.to());
        }
        String route = swap != null ? swap.from() + " -> " + swap.to() : active + " -> " + mq.backend;
        for (MqSpec.Backend b : inUse) {
            if (b != mq.backend && !configured(b, mq)) {
                p.add("spec." + SETTINGS.get(b) + " is still needed until the backend swap away from " + b
                        + " is Complete (swap " + route + ")");
            }
        }
    }

    /** The settings a backend needs, as the messages (and the CRD's CEL rules) name them. */
    private static final Map<MqSpec.Backend, String> SETTINGS = Map.of(MqSpec.Backend.kafka,
            "mq.kafka.bootstrapServers", MqSpec.Backend.nats, "mq.nats (url or managed: true)",
            MqSpec.Backend.mqtt, "mq.mqtt (url or managed: true)");

    /** Whether the spec has what the backend needs to connect (redis needs nothing: it is the session Redis). */
    private static boolean configured(MqSpec.Backend b, MqSpec mq) {
        return switch (b) {
            case kafka -> mq.kafka != null && mq.kafka.bootstrapServers != null && !mq.kafka.bootstrapServers.isBlank();
            case nats -> mq.nats != null && (mq.nats.url != null || mq.nats.isManaged());
            case mqtt -> mq.mqtt != null && (mq.mqtt.url != null || mq.mqtt.isManaged());
            case redis -> true;
        };
    }

    /** External host:port lists: the schema checks their shape, this their port range. */
    static void addresses(PubSubClusterSpec s, List<String> p) {
        if (s.redis != null && s.redis.external != null && s.redis.external.address != null) {
            hostPort("spec.redis.external.address", s.redis.external.address, p);
        }
        if (s.redis != null && s.redis.external != null && s.redis.external.sentinel != null
                && s.redis.external.sentinel.addresses != null) {
            for (String a : s.redis.external.sentinel.addresses) {
                if (a == null || a.length() > 1024 || !a.matches("[^\\s:]+:[0-9]{1,5}")) {
                    p.add("spec.redis.external.sentinel: " + RedisSpec.Sentinel.ADDRESS_MESSAGE + ", got '" + a + "'");
                } else {
                    hostPort("spec.redis.external.sentinel.addresses", a, p);
                }
            }
        }
        if (s.mq != null && s.mq.kafka != null && s.mq.kafka.bootstrapServers != null) {
            for (String a : s.mq.kafka.bootstrapServers.split(",", -1)) {
                hostPort("spec.mq.kafka.bootstrapServers", a.trim(), p);
            }
        }
    }

    private static void hostPort(String at, String address, List<String> p) {
        int colon = address.lastIndexOf(':');
        String host = colon < 0 ? address : address.substring(0, colon);
        if (colon < 0 || host.isEmpty() || host.chars().anyMatch(ch -> ch <= ' ')) {
            p.add(at + ": '" + shorten(address) + "' is not host:port");
            return;
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            p.add(at + ": '" + shorten(address) + "' needs a port between 1 and 65535");
        }
    }
}
