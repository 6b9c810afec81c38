package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus.BackendStatus;
import dev.imcluster.operator.model.BrokerConfigRenderer;
import dev.imcluster.operator.model.SwapState;
import dev.imcluster.operator.model.SwapState.Phase;
import dev.imcluster.operator.model.Role;
import io.fabric8.kubernetes.api.model.apps.Deployment;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static dev.imcluster.operator.reconciler.Rollouts.progress;
import static dev.imcluster.operator.reconciler.Rollouts.rolledOutWith;

/**
 * (About 300 lines: the phases, the edits that redirect a swap and the status record they write read as one.)
 *
 * <p>The backend swap state machine (docs/BACKEND-SWAP.md). It reads the swap recorded in status (the API calls the
 * record {@code status.backend.migration}, its condition {@code Migrating}), the live
 * Deployments and, in Drain only, job's drain reports, and returns the next {@code status.backend}; the
 * reconciler then renders every role for {@link Step#state()}. At most one phase change per reconciliation, so
 * each phase's rendering is applied and observed before the next one is judged.
 *
 * <p>Edits during a swap A→B: back to A during DualConsume cancels it (logic never published to B, which may be
 * unreachable: nothing to drain there); back to A later reverses it (B→A, starting at SwitchPublish: every job pod
 * already consumes both, and logic rolls back to A at once); a third backend C during DualConsume retargets it (A→C: logic
 * never published to B); a third backend later waits for A→B to complete, then B→C starts.
 */
final class BackendSwap {

    /** Reads job's /migration on every job pod; only called in Drain. */
    @FunctionalInterface
    interface DrainCheck {
        DrainProbe.Report check(SwapState state, String logicHash);
    }

    record Event(String reason, String message) {
    }

    /** The next status.backend, the state to render, the Migrating condition, events, and whether to poll soon. */
    record Step(BackendStatus backend, SwapState state, boolean inProgress, String reason, String message,
                List<Event> events, boolean pollSoon) {
    }

    private BackendSwap() {
    }

    /** status.backend as it is (paused or invalid clusters: nothing moves). */
    static Step hold(PubSubCluster c) {
        BackendStatus was = c.getStatus() == null ? null : c.getStatus().backend;
        SwapState state = SwapState.of(c.getStatus());
        BackendStatus b = was != null && was.active != null ? was : steady(BrokerConfigRenderer.specBackend(c), null);
        return state == null ? settled(b, List.of())
                : new Step(b, state, true, state.phase().name(), describe(state) + " (on hold)", List.of(), false);
    }

    /** {@link #advance(PubSubCluster, Map, DrainCheck, String, Function)}, rendering each state afresh. */
    static Step advance(PubSubCluster c, Map<Role, Deployment> deployments, DrainCheck drain, String now) {
        return advance(c, deployments, drain, now, state -> BrokerConfigRenderer.render(c, state));
    }

    /**
     * At most one transition: starts, reverts, cancels or retargets a swap on a spec edit, otherwise runs the
     * recorded phase's step. {@code render} gives the config of a state (the reconciler memoizes it, so the state
     * it then applies is not rendered again).
     */
    static Step advance(PubSubCluster c, Map<Role, Deployment> deployments, DrainCheck drain, String now,
                        Function<SwapState, BrokerConfigRenderer.Rendered> render) {
        MqSpec.Backend desired = BrokerConfigRenderer.specBackend(c);
        BackendStatus was = c.getStatus() == null ? null : c.getStatus().backend;
        MqSpec.Backend active = was == null ? null : SwapState.backend(was.active);
        if (active == null) {
            return settled(steady(desired, null), List.of());
        }
        SwapState state = SwapState.of(c.getStatus());
        if (state == null) {
            return active == desired ? settled(was, List.of()) : start(active, desired, now);
        }
        Phases phases = new Phases(was, state, deployments, render.apply(state), now, desired);
        if (desired == state.from()) {
            return phases.revert();
        }
        if (desired != state.to() && state.phase() == Phase.DualConsume) {
            return phases.retarget();
        }
        return switch (state.phase()) {
            case DualConsume -> phases.dualConsume();
            case SwitchPublish -> phases.switchPublish();
            case Drain -> phases.drain(drain);
            case Finalize -> phases.finalizeSwap();
            default -> throw new IllegalStateException("not an in-progress phase: " + state.phase());
        };
    }

    /** spec.mq.backend differs from the active backend and no swap runs: DualConsume begins. */
    private static Step start(MqSpec.Backend active, MqSpec.Backend desired, String now) {
        SwapState start = new SwapState(active, desired, Phase.DualConsume);
        List<Event> events = List.of(new Event("BackendChanged", "spec.mq.backend changed from " + start.from()
                        + " to " + desired + ": migrating with zero loss (job consumes both, then logic switches)."),
                phaseEvent(start));
        return step(begin(start, now), start, events, "job rolls to consume " + start.to() + " and " + start.from()
                + ".", false);
    }

    /**
     * One reconciliation of a swap in progress: a method per phase, each either moving to the next phase (one
     * transition per reconciliation, so each phase's rendering is applied and observed before the next is judged) or
     * saying what it waits for; plus the spec edits that end or redirect the swap.
     */
    private record Phases(BackendStatus was, SwapState state, Map<Role, Deployment> deployments,
                          BrokerConfigRenderer.Rendered rendered, String now, MqSpec.Backend desired) {

        private Deployment job() {
            return deployments.get(Role.JOB);
        }

        private Deployment logic() {
            return deployments.get(Role.LOGIC);
        }

        /** A third backend after DualConsume waits for this swap: every message says so. */
        private String deferred() {
            return desired == state.to() ? "" : " spec.mq.backend is now " + desired + ": the backend swap to "
                    + state.to() + " finishes first, then a swap to " + desired + " starts.";
        }

        /** job rolls to consume both backends; logic still publishes to the old one. */
        Step dualConsume() {
            if (rolledOutWith(job(), rendered.hash(Role.JOB))) {
                return next(Phase.SwitchPublish, "logic rolls to publish to " + state.to() + "." + deferred());
            }
            return wait("waiting for job to roll out consuming " + state.to() + " and " + state.from() + " ("
                    + progress(job()) + "). job pods are ready only once " + state.to() + " is reachable; if it is "
                    + "not, set spec.mq.backend back to " + state.from() + " to cancel." + deferred(), false);
        }

        /** logic rolls to publish to the new backend. */
        Step switchPublish() {
            if (rolledOutWith(logic(), rendered.hash(Role.LOGIC)) && rolledOutWith(job(), rendered.hash(Role.JOB))) {
                return next(Phase.Drain, "waiting for job to drain " + state.from() + "." + deferred());
            }
            return wait("waiting for logic to roll out publishing to " + state.to() + " (logic " + progress(logic())
                    + ", job " + progress(job()) + "). logic pods are ready only once " + state.to() + " is "
                    + "reachable; set spec.mq.backend back to " + state.from() + " to revert." + deferred(), false);
        }

        /** Every logic pod publishes to the new backend; job reports when the old one is drained. */
        Step drain(DrainCheck check) {
            DrainProbe.Report report = check.check(state, rendered.hash(Role.LOGIC));
            if (report.drained()) {
                return next(Phase.Finalize, state.from() + " is drained (" + report.detail() + "); job rolls to "
                        + "consume " + state.to() + " only." + deferred());
            }
            return wait("waiting for job to drain " + state.from() + ": " + report.detail() + deferred(), true);
        }

        /** job rolls to consume the new backend only; once it has, the swap is Complete. */
        Step finalizeSwap() {
            if (rolledOutWith(job(), rendered.hash(Role.JOB))) {
                return complete();
            }
            return wait("waiting for job to roll out consuming " + state.to() + " only (" + progress(job()) + ")."
                    + deferred(), false);
        }

        /** Complete: the new backend is active, the old one's managed objects go. */
        private Step complete() {
            BackendStatus b = ended(state.to(), Phase.Complete);
            b.previous = state.from().name();
            return settled(b, List.of(new Event("MigrationComplete", "The queue backend is now " + state.to() + "; "
                    + state.from() + " was drained with nothing left behind.")));
        }

        /**
         * spec.mq.backend is the old backend again: during DualConsume, while logic provably never left it, the
         * swap is cancelled; later it reverses (to→from, starting at SwitchPublish: every job pod already consumes
         * both, and logic rolls back at once).
         */
        Step revert() {
            if (state.phase() == Phase.DualConsume && logicStillOn(logic(), rendered.hash(Role.LOGIC))) {
                return cancel();
            }
            SwapState back = new SwapState(state.to(), state.from(), Phase.SwitchPublish);
            return step(begin(back, now), back, List.of(new Event("MigrationReverted", "spec.mq.backend is "
                    + desired + " again: reversing the backend swap; logic publishes to " + desired + " and job keeps "
                    + "consuming both until " + state.to() + " is drained.")), "logic rolls back to " + desired + ".",
                    false);
        }

        /**
         * Cancelled: a revert during DualConsume. logic never published to the new backend, so there is nothing to
         * drain there (it may be unreachable, the very reason for the revert); job rolls back to the old one alone.
         */
        private Step cancel() {
            return settled(ended(state.from(), Phase.Cancelled), List.of(new Event("MigrationReverted",
                    "spec.mq.backend is " + state.from() + " again during DualConsume: logic never published to "
                            + state.to() + ", so the backend swap is cancelled and job rolls back to consume "
                            + state.from() + " only.")));
        }

        /** A third backend during DualConsume: logic never published to the second, so the swap goes to the third. */
        Step retarget() {
            SwapState retarget = new SwapState(state.from(), desired, Phase.DualConsume);
            return step(begin(retarget, now), retarget, List.of(new Event("MigrationRetargeted",
                    "spec.mq.backend is now " + desired + "; logic never published to " + state.to()
                            + ", so the backend swap from " + state.from() + " now goes to " + desired + ".")),
                    "job rolls to consume " + desired + " and " + state.from() + ".", false);
        }

        private Step next(Phase phase, String detail) {
            SwapState next = state.withPhase(phase);
            BackendStatus b = running(was, next);
            b.migration.phase = phase.name();
            b.migration.phaseStartedAt = now;
            return step(b, next, List.of(phaseEvent(next)), detail, phase == Phase.Drain);
        }

        private Step wait(String detail, boolean poll) {
            return step(running(was, state), state, List.of(), detail, poll);
        }

        /** status.backend of a swap that ended in {@code phase}, with {@code active} the backend left in use. */
        private BackendStatus ended(MqSpec.Backend active, Phase phase) {
            BackendStatus b = new BackendStatus();
            b.active = active.name();
            b.migration = copy(was.migration);
            b.migration.phase = phase.name();
            b.migration.phaseStartedAt = now;
            b.migration.completedAt = now;
            return b;
        }
    }

    /**
     * Every logic pod runs the config logic has in DualConsume (the old backend's), and none was ever rolled to
     * another one. Anything else (a reconciliation that rendered SwitchPublish but failed before recording it, say)
     * may have published to the new backend.
     */
    static boolean logicStillOn(Deployment d, String hash) {
        return Rollouts.onlyEverRan(d, hash);
    }

    static String describe(SwapState s) {
        return "Migrating the queue from " + s.from() + " to " + s.to() + ", phase " + s.phase();
    }

    private static Step step(BackendStatus b, SwapState state, List<Event> events, String detail, boolean poll) {
        return new Step(b, state, true, state.phase().name(), describe(state) + ": " + detail, events, poll);
    }

    private static Step settled(BackendStatus b, List<Event> events) {
        return new Step(b, null, false, "NotMigrating", "The backend is " + b.active + ".", events, false);
    }

    private static Event phaseEvent(SwapState s) {
        return new Event("Migration" + s.phase(), describe(s) + ".");
    }

    /** status.backend for an in-progress state, keeping the record's timestamps. */
    private static BackendStatus running(BackendStatus was, SwapState state) {
        BackendStatus b = new BackendStatus();
        b.active = state.logicBackend().name();
        b.previous = state.from().name();
        b.migration = copy(was.migration);
        return b;
    }

    private static BackendStatus begin(SwapState state, String now) {
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
}
