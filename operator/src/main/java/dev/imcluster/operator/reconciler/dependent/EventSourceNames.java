package dev.imcluster.operator.reconciler.dependent;

/** Shared informers, one per kind that several dependents manage (declared by the reconciler). */
public final class EventSourceNames {
    public static final String DEPLOYMENTS = "deployments";
    public static final String SERVICES = "services";
    public static final String STATEFUL_SETS = "statefulsets";

    private EventSourceNames() {
    }
}
