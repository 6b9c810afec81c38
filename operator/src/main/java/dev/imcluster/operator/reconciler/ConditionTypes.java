package dev.imcluster.operator.reconciler;

/** status.conditions types and the phases. */
public final class ConditionTypes {
    public static final String READY = "Ready";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";
    public static final String SPEC_VALID = "SpecValid";
    public static final String BACKEND_READY = "BackendReady";
    /** True while a backend swap runs (the API keeps the name Migrating: condition types are user-visible). */
    public static final String MIGRATING = "Migrating";
    public static final String PAUSED = "Paused";

    public static final String PHASE_PENDING = "Pending";
    public static final String PHASE_RUNNING = "Running";
    public static final String PHASE_DEGRADED = "Degraded";
    public static final String PHASE_INVALID = "Invalid";
    public static final String PHASE_PAUSED = "Paused";

    private ConditionTypes() {
    }
}
