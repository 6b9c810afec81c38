package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;

/** Names of the owned objects; one place so that the model, the dependents and the tests agree. */
public final class Names {
    private Names() {
    }

    public static String role(PubSubCluster c, Role role) {
        return c.getMetadata().getName() + "-" + role.id();
    }

    public static String cometHeadless(PubSubCluster c) {
        return c.getMetadata().getName() + "-comet-headless";
    }

    public static String metrics(PubSubCluster c) {
        return c.getMetadata().getName() + "-metrics";
    }

    public static String config(PubSubCluster c) {
        return c.getMetadata().getName() + "-config";
    }

    public static String serviceAccount(PubSubCluster c) {
        return c.getMetadata().getName() + "-broker";
    }

    public static String redis(PubSubCluster c) {
        return c.getMetadata().getName() + "-redis";
    }

    public static String redisPassword(PubSubCluster c) {
        return c.getMetadata().getName() + "-redis-password";
    }

    /** The generated internal token, when the spec references none. */
    public static String internalToken(PubSubCluster c) {
        return c.getMetadata().getName() + "-internal-token";
    }

    public static String nats(PubSubCluster c) {
        return c.getMetadata().getName() + "-nats";
    }

    public static String networkPolicy(PubSubCluster c) {
        return c.getMetadata().getName() + "-broker";
    }

    public static String serviceMonitor(PubSubCluster c) {
        return c.getMetadata().getName();
    }

    /** In-cluster DNS name of a Service of this cluster. */
    public static String serviceDns(PubSubCluster c, String service) {
        return service + "." + c.getMetadata().getNamespace() + ".svc";
    }
}
