package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;

import java.util.EnumSet;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The backends the operator runs in a {@link ManagedStatefulSet} and, with spec.tls.internal, serves over TLS with
 * a server certificate of the cluster's internal CA.
 */
public enum ManagedBackend {
    REDIS("redis", Names::redis, RedisModel::managed),
    NATS("nats", Names::nats, NatsModel::managed),
    MQTT("mqtt", Names::mqtt, MqttModel::managed);

    /** On the pod template of a backend serving TLS: a hash of its certificate and CA bundle. */
    public static final String CERTIFICATE_HASH_ANNOTATION = "pubsub.imcluster.dev/certificate-hash";

    private final String id;
    private final Function<PubSubCluster, String> service;
    private final Predicate<PubSubCluster> managed;

    ManagedBackend(String id, Function<PubSubCluster, String> service, Predicate<PubSubCluster> managed) {
        this.id = id;
        this.service = service;
        this.managed = managed;
    }

    /** Its component label, and its certificate's name in Events and metrics. */
    public String id() {
        return id;
    }

    /** Its Service (and StatefulSet) name: what the roles dial. */
    public String service(PubSubCluster c) {
        return service.apply(c);
    }

    /**
     * Whether the spec asks the operator to run it (NATS, Mosquitto: even before or after a swap makes it the
     * backend).
     */
    public boolean managed(PubSubCluster c) {
        return managed.test(c);
    }

    /** The managed backends of {@code c} that serve TLS: all of them with spec.tls.internal on, else none. */
    public static Set<ManagedBackend> withTls(PubSubCluster c) {
        Set<ManagedBackend> s = EnumSet.noneOf(ManagedBackend.class);
        if (c.getSpec().tls != null && c.getSpec().tls.internalEnabled()) {
            for (ManagedBackend b : values()) {
                if (b.managed(c)) {
                    s.add(b);
                }
            }
        }
        return s;
    }
}
