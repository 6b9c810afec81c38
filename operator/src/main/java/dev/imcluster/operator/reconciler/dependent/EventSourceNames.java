package dev.imcluster.operator.reconciler.dependent;

/** Shared informers, one per kind that several dependents manage (declared by the reconciler). */
public final class EventSourceNames {
    public static final String DEPLOYMENTS = "deployments";
    public static final String SERVICES = "services";
    public static final String STATEFUL_SETS = "statefulsets";
    /** The Secrets of spec.tls.internal (the CA and one per role). */
    public static final String INTERNAL_TLS_SECRETS = "internal-tls-secrets";

    private EventSourceNames() {
    }
}
