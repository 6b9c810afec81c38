package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;

import java.util.List;

/** Names of the owned objects; one place so that the model, the dependents and the tests agree. */
public final class Names {
    /** Suffixes of the object names derived from a cluster's name (Services must fit a 63-character DNS label). */
    static final List<String> SUFFIXES = List.of("-comet", "-logic", "-job", "-comet-headless", "-metrics", "-config",
            "-broker", "-redis", "-redis-password", "-nats", "-nats-cluster", "-mqtt", "-internal-token",
            "-internal-ca");
    /** Suffixes of StatefulSet names: their pods get a "&lt;name&gt;-&lt;10-char hash&gt;" label, so at most 52. */
    static final List<String> STATEFUL_SET_SUFFIXES = List.of("-redis", "-nats", "-mqtt");
    static final int STATEFUL_SET_MAX = 52;
    /** The longest cluster name whose derived names all fit. */
    public static final int MAX_CLUSTER_NAME = Math.min(
            KubeSyntax.DNS_LABEL_MAX - SUFFIXES.stream().mapToInt(String::length).max().orElseThrow(),
            STATEFUL_SET_MAX - STATEFUL_SET_SUFFIXES.stream().mapToInt(String::length).max().orElseThrow());

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

    /** The cluster's internal CA (spec.tls.internal without an issuerRef). */
    public static String internalCa(PubSubCluster c) {
        return c.getMetadata().getName() + "-internal-ca";
    }

    /** A role's internal TLS certificate (tls.crt, tls.key, ca.crt); a Secret's name may be longer than a label. */
    public static String internalTls(PubSubCluster c, Role role) {
        return role(c, role) + "-internal-tls";
    }

    /** A managed backend's TLS server certificate (tls.crt, tls.key, ca.crt), with spec.tls.internal. */
    public static String internalTls(PubSubCluster c, ManagedBackend backend) {
        return backend.service(c) + "-internal-tls";
    }

    public static String nats(PubSubCluster c) {
        return c.getMetadata().getName() + "-nats";
    }

    /** The headless Service over every managed NATS server, not-ready ones too, that the servers route to. */
    public static String natsCluster(PubSubCluster c) {
        return nats(c) + "-cluster";
    }

    /** The managed Mosquitto: its StatefulSet, Service and ConfigMap (mosquitto.conf); short, for StatefulSet names. */
    public static String mqtt(PubSubCluster c) {
        return c.getMetadata().getName() + "-mqtt";
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
