package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;

import java.util.LinkedHashMap;
import java.util.Map;

/** The app.kubernetes.io labels of owned objects; the operator's informers select on MANAGED_BY. */
public final class Labels {
    public static final String NAME = "app.kubernetes.io/name";
    public static final String INSTANCE = "app.kubernetes.io/instance";
    public static final String COMPONENT = "app.kubernetes.io/component";
    public static final String PART_OF = "app.kubernetes.io/part-of";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String APP = "imcluster";
    public static final String OPERATOR = "imcluster-operator";
    /** Label selector of the operator's informers: only objects it made. */
    public static final String MANAGED_SELECTOR = MANAGED_BY + "=" + OPERATOR;

    /** The components that are not broker roles: the backends the operator runs. */
    static final java.util.Set<String> MANAGED_BACKENDS = java.util.Set.of("redis", "nats", "mqtt");

    private Labels() {
    }

    /**
     * Labels that select the pods of one component; immutable once a Deployment exists. Broker roles have name
     * imcluster; the managed backends (redis, nats, mqtt: Mosquitto) have their own name, so that {@link #cluster} selects broker pods only.
     */
    public static Map<String, String> selector(PubSubCluster c, String component) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(NAME, MANAGED_BACKENDS.contains(component) ? component : APP);
        m.put(INSTANCE, c.getMetadata().getName());
        m.put(COMPONENT, component);
        return m;
    }

    public static Map<String, String> all(PubSubCluster c, String component) {
        Map<String, String> m = selector(c, component);
        m.put(PART_OF, APP);
        m.put(MANAGED_BY, OPERATOR);
        return m;
    }

    /** Selects every broker pod (any role) of the cluster, not the managed backends. */
    public static Map<String, String> cluster(PubSubCluster c) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(NAME, APP);
        m.put(INSTANCE, c.getMetadata().getName());
        return m;
    }
}
