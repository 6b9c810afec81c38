package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus.BackendStatus;
import dev.imcluster.operator.model.BrokerConfigRenderer;
import dev.imcluster.operator.model.MigrationState;
import dev.imcluster.operator.model.MigrationState.Phase;
import dev.imcluster.operator.model.Role;
import io.fabric8.kubernetes.api.model.apps.Deployment;

import java.util.List;
import java.util.Map;

/**
 * The backend swap state machine (docs/BACKEND-SWAP.md). It reads the migration persisted in status, the live
 * Deployments and, in Drain only, job's drain reports, and returns the next {@code status.backend}; the
 * reconciler then renders every role for {@link Step#state()}. At most one phase change per reconciliation, so
 * each phase's rendering is applied and observed before the next one is judged.
 *
 * <p>Edits during a swap A→B: back to A during DualConsume cancels it (logic never published to B, which may be
 * unreachable: nothing to drain there); back to A later reverses it (B→A, starting at SwitchPublish: every job pod
 * already consumes both, and logic rolls back to A at once); a third backend C during DualConsume retargets it (A→C: logic
 * never published to B); a third backend later waits for A→B to complete, then B→C starts.
 */
final class BackendMigration {

    /** Reads job's /migration on every job pod; only called in Drain. */
    @FunctionalInterface
    interface DrainCheck {
        DrainProbe.Report check(MigrationState state, String logicHash);
    }

    record Event(String reason, String message) {
    }

    /** The next status.backend, the state to render, the Migrating condition, events, and whether to poll soon. */
    record Step(BackendStatus backend, MigrationState state, boolean migrating, String reason, String message,
                List<Event> events, boolean pollSoon) {
    }

    private BackendMigration() {
    }

    /** status.backend as it is (paused or invalid clusters: nothing moves). */
    static Step hold(PubSubCluster c) {
        BackendStatus was = c.getStatus() == null ? null : c.getStatus().backend;
        MigrationState state = MigrationState.of(c.getStatus());
        BackendStatus b = was != null && was.active != null ? was : steady(BrokerConfigRenderer.specBackend(c), null);
        return state == null ? settled(b, List.of())
                : new Step(b, state, true, state.phase().name(), describe(state) + " (on hold)", List.of(), false);
    }

    static Step advance(PubSubCluster c, Map<Role, Deployment> deployments, DrainCheck drain, String now) {
        MqSpec.Backend desired = BrokerConfigRenderer.specBackend(c);
        BackendStatus was = c.getStatus() == null ? null : c.getStatus().backend;
        if (was == null || was.active == null || parse(was.active) == null) {
            return settled(steady(desired, null), List.of());
        }
        MigrationState state = MigrationState.of(c.getStatus());
        if (state == null) {
            if (parse(was.active) == desired) {
                return settled(was, List.of());
            }
            MigrationState start = new MigrationState(parse(was.active), desired, Phase.DualConsume);
            List<Event> events = List.of(new Event("BackendChanged", "spec.mq.backend changed from " + start.from()
                            + " to " + desired + ": migrating with zero loss (job consumes both, then logic switches)."),
                    phaseEvent(start));
            return step(begin(start, now), start, events, "job rolls to consume " + start.to() + " and " + start.from()
                    + ".", false);
        }
        if (desired == state.from()) {
            if (state.phase() == Phase.DualConsume && logicStillOn(deployments.get(Role.LOGIC),
                    BrokerConfigRenderer.render(c, state).hash(Role.LOGIC))) {
                return cancel(was, state, now);
            }
            MigrationState back = new MigrationState(state.to(), state.from(), Phase.SwitchPublish);
            return step(begin(back, now), back, List.of(new Event("MigrationReverted", "spec.mq.backend is "
                    + desired + " again: reversing the migration; logic publishes to " + desired + " and job keeps "
                    + "consuming both until " + state.to() + " is drained.")), "logic rolls back to " + desired + ".",
                    false);
        }
        String deferred = "";
        if (desired != state.to()) {
            if (state.phase() == Phase.DualConsume) {
                MigrationState retarget = new MigrationState(state.from(), desired, Phase.DualConsume);
                return step(begin(retarget, now), retarget, List.of(new Event("MigrationRetargeted",
                        "spec.mq.backend is now " + desired + "; logic never published to " + state.to()
                                + ", so the migration from " + state.from() + " now goes to " + desired + ".")),
                        "job rolls to consume " + desired + " and " + state.from() + ".", false);
            }
            deferred = " spec.mq.backend is now " + desired + ": the migration to " + state.to()
                    + " finishes first, then a migration to " + desired + " starts.";
        }
        Deployment job = deployments.get(Role.JOB);
        Deployment logic = deployments.get(Role.LOGIC);
        BrokerConfigRenderer.Rendered rendered = BrokerConfigRenderer.render(c, state);
        String jobHash = rendered.hash(Role.JOB);
        String logicHash = rendered.hash(Role.LOGIC);
        switch (state.phase()) {
            case DualConsume -> {
                if (rolledOutWith(job, jobHash)) {
                    return next(was, state.withPhase(Phase.SwitchPublish), now, "logic rolls to publish to "
                            + state.to() + "." + deferred);
                }
                return wait(was, state, "waiting for job to roll out consuming " + state.to() + " and "
                        + state.from() + " (" + progress(job) + "). job pods are ready only once " + state.to()
                        + " is reachable; if it is not, set spec.mq.backend back to " + state.from() + " to cancel."
                        + deferred, false);
            }
            case SwitchPublish -> {
                if (rolledOutWith(logic, logicHash) && rolledOutWith(job, jobHash)) {
                    return next(was, state.withPhase(Phase.Drain), now, "waiting for job to drain " + state.from()
                            + "." + deferred);
                }
                return wait(was, state, "waiting for logic to roll out publishing to " + state.to() + " (logic "
                        + progress(logic) + ", job " + progress(job) + "). logic pods are ready only once "
                        + state.to() + " is reachable; set spec.mq.backend back to " + state.from() + " to revert."
                        + deferred, false);
            }
            case Drain -> {
                DrainProbe.Report report = drain.check(state, logicHash);
                if (report.drained()) {
                    return next(was, state.withPhase(Phase.Finalize), now, state.from() + " is drained ("
                            + report.detail() + "); job rolls to consume " + state.to() + " only." + deferred);
                }
                return wait(was, state, "waiting for job to drain " + state.from() + ": " + report.detail()
                        + deferred, true);
            }
            case Finalize -> {
                if (rolledOutWith(job, jobHash)) {
                    BackendStatus b = new BackendStatus();
                    b.active = state.to().name();
                    b.previous = state.from().name();
                    b.migration = copy(was.migration);
                    b.migration.phase = Phase.Complete.name();
                    b.migration.phaseStartedAt = now;
                    b.migration.completedAt = now;
                    return settled(b, List.of(new Event("MigrationComplete", "The queue backend is now "
                            + state.to() + "; " + state.from() + " was drained with nothing left behind.")));
                }
                return wait(was, state, "waiting for job to roll out consuming " + state.to() + " only ("
                        + progress(job) + ")." + deferred, false);
            }
            default -> throw new IllegalStateException("not an in-progress phase: " + state.phase());
        }
    }

    /**
     * A revert during DualConsume: logic never published to the new backend, so there is nothing to drain there (it
     * may be unreachable, the very reason for the revert). job simply rolls back to the old backend alone.
     */
    private static Step cancel(BackendStatus was, MigrationState state, String now) {
        BackendStatus b = new BackendStatus();
        b.active = state.from().name();
        b.migration = copy(was.migration);
        b.migration.phase = Phase.Cancelled.name();
        b.migration.phaseStartedAt = now;
        b.migration.completedAt = now;
        return settled(b, List.of(new Event("MigrationReverted", "spec.mq.backend is " + state.from()
                + " again during DualConsume: logic never published to " + state.to() + ", so the migration is "
                + "cancelled and job rolls back to consume " + state.from() + " only.")));
    }

    /**
     * Every logic pod runs the config logic has in DualConsume (the old backend's), and none was ever rolled to
     * another one: the template carries that hash and every pod is of that template. Anything else (a reconciliation
     * that rendered SwitchPublish but failed before recording it, say) may have published to the new backend.
     */
    static boolean logicStillOn(Deployment d, String hash) {
        if (d == null || d.getSpec() == null || d.getSpec().getTemplate() == null
                || d.getSpec().getTemplate().getMetadata() == null
                || d.getSpec().getTemplate().getMetadata().getAnnotations() == null
                || !hash.equals(d.getSpec().getTemplate().getMetadata().getAnnotations()
                .get(BrokerConfigRenderer.CONFIG_HASH_ANNOTATION)) || d.getStatus() == null) {
            return false;
        }
        var st = d.getStatus();
        boolean observed = d.getMetadata() != null && d.getMetadata().getGeneration() != null
                && d.getMetadata().getGeneration().equals(st.getObservedGeneration());
        int total = st.getReplicas() == null ? 0 : st.getReplicas();
        int updated = st.getUpdatedReplicas() == null ? 0 : st.getUpdatedReplicas();
        return observed && updated >= total;
    }

    /** The Deployment runs the template with this config hash: observed, every pod updated and ready, no old pod. */
    static boolean rolledOutWith(Deployment d, String hash) {
        if (d == null || d.getSpec() == null || d.getSpec().getTemplate() == null
                || d.getSpec().getTemplate().getMetadata() == null
                || d.getSpec().getTemplate().getMetadata().getAnnotations() == null
                || !hash.equals(d.getSpec().getTemplate().getMetadata().getAnnotations()
                .get(BrokerConfigRenderer.CONFIG_HASH_ANNOTATION))) {
            return false;
        }
        if (!StatusCalculator.rolledOut(d)) {
            return false;
        }
        int desired = StatusCalculator.roleStatus(d).replicas;
        Integer total = d.getStatus().getReplicas();
        return total == null || total <= desired; // pods of the old ReplicaSet are gone
    }

    private static String progress(Deployment d) {
        if (d == null || d.getStatus() == null) {
            return "not observed yet";
        }
        var st = d.getStatus();
        return (st.getUpdatedReplicas() == null ? 0 : st.getUpdatedReplicas()) + " updated, "
                + (st.getReadyReplicas() == null ? 0 : st.getReadyReplicas()) + " ready of "
                + StatusCalculator.roleStatus(d).replicas;
    }

    static String describe(MigrationState s) {
        return "Migrating the queue from " + s.from() + " to " + s.to() + ", phase " + s.phase();
    }

    private static Step next(BackendStatus was, MigrationState state, String now, String detail) {
        BackendStatus b = migrating(was, state);
        b.migration.phase = state.phase().name();
        b.migration.phaseStartedAt = now;
        return step(b, state, List.of(phaseEvent(state)), detail, state.phase() == Phase.Drain);
    }

    private static Step wait(BackendStatus was, MigrationState state, String detail, boolean poll) {
        return step(migrating(was, state), state, List.of(), detail, poll);
    }

    private static Step step(BackendStatus b, MigrationState state, List<Event> events, String detail, boolean poll) {
        return new Step(b, state, true, state.phase().name(), describe(state) + ": " + detail, events, poll);
    }

    private static Step settled(BackendStatus b, List<Event> events) {
        return new Step(b, null, false, "NotMigrating", "The backend is " + b.active + ".", events, false);
    }

    private static Event phaseEvent(MigrationState s) {
        return new Event("Migration" + s.phase(), describe(s) + ".");
    }

    /** status.backend for an in-progress state, keeping the record's timestamps. */
    private static BackendStatus migrating(BackendStatus was, MigrationState state) {
        BackendStatus b = new BackendStatus();
        b.active = state.logicBackend().name();
        b.previous = state.from().name();
        b.migration = copy(was.migration);
        return b;
    }

    private static BackendStatus begin(MigrationState state, String now) {
        BackendStatus b = new BackendStatus();
        b.active = state.logicBackend().name();
        b.previous = state.from().name();
        b.migration = new PubSubClusterStatus.Migration();
        b.migration.phase = state.phase().name();
        b.migration.from = state.from().name();
        b.migration.to = state.to().name();
        b.migration.startedAt = now;
        b.migration.phaseStartedAt = now;
        return b;
    }

    private static BackendStatus steady(MqSpec.Backend active, String previous) {
        BackendStatus b = new BackendStatus();
        b.active = active.name();
        b.previous = previous;
        return b;
    }

    private static PubSubClusterStatus.Migration copy(PubSubClusterStatus.Migration m) {
        PubSubClusterStatus.Migration c = new PubSubClusterStatus.Migration();
        if (m != null) {
            c.phase = m.phase;
            c.from = m.from;
            c.to = m.to;
            c.startedAt = m.startedAt;
            c.phaseStartedAt = m.phaseStartedAt;
            c.completedAt = m.completedAt;
        }
        return c;
    }

    private static MqSpec.Backend parse(String name) {
        for (MqSpec.Backend b : MqSpec.Backend.values()) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        return null;
    }
}
