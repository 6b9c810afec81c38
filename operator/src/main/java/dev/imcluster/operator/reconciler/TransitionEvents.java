package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import static dev.imcluster.operator.reconciler.ConditionTypes.*;

/** The Events a status change announces: one per condition transition, then the backend swap's own. */
final class TransitionEvents {
    private TransitionEvents() {
    }

    /** The Event announcing a phase change: Warning into Degraded or Invalid, Normal otherwise. */
    static final String PHASE_CHANGED = "PhaseChanged";

    /**
     * {@code phaseBefore}: the phase of the status this reconciliation started from (null: none yet). Every change
     * of status.phase, the first one included, is announced by a {@value #PHASE_CHANGED} Event.
     */
    static void recordPhase(EventRecorder events, PubSubCluster c, String phaseBefore, PubSubClusterStatus after) {
        phaseEvent(phaseBefore, after).ifPresent(e -> {
            if (e.warning()) {
                events.warning(c, e.reason(), e.message());
            } else {
                events.normal(c, e.reason(), e.message());
            }
        });
    }

    /** An Event to record: its type (Warning or Normal), reason and message. */
    record Announcement(boolean warning, String reason, String message) {
    }

    /** The phase change from {@code phaseBefore} to {@code after.phase}, if the phase changed. */
    static Optional<Announcement> phaseEvent(String phaseBefore, PubSubClusterStatus after) {
        if (after.phase == null || after.phase.equals(phaseBefore)) {
            return Optional.empty();
        }
        boolean bad = PHASE_DEGRADED.equals(after.phase) || PHASE_INVALID.equals(after.phase);
        return Optional.of(new Announcement(bad, PHASE_CHANGED, "Phase " + (phaseBefore == null ? "(none)" : phaseBefore)
                + " -> " + after.phase + "."));
    }

    /** {@code before}: the conditions of the status this reconciliation started from (null: none yet). */
    static void record(EventRecorder events, PubSubCluster c, List<Condition> before, PubSubClusterStatus after,
                       List<BackendSwap.Event> swapEvents) {
        List<Condition> was = before == null ? List.of() : before;
        List<Condition> now = after.conditions;
        Optional<Condition> validBefore = ConditionSet.find(was, SPEC_VALID);
        Condition valid = ConditionSet.find(now, SPEC_VALID).orElseThrow();
        if (ConditionSet.FALSE.equals(valid.getStatus())
                && (validBefore.isEmpty() || !Objects.equals(validBefore.get().getMessage(), valid.getMessage()))) {
            events.warning(c, "InvalidSpec", valid.getMessage());
        } else if (ConditionSet.TRUE.equals(valid.getStatus()) && validBefore.isPresent()
                && ConditionSet.FALSE.equals(validBefore.get().getStatus())) {
            events.normal(c, "SpecValid", "The spec is valid again; reconciling owned objects.");
        }
        transition(events, c, was, now, PAUSED, "Paused", "Resumed");
        boolean readyBefore = ConditionSet.isTrue(was, READY);
        boolean readyNow = ConditionSet.isTrue(now, READY);
        if (readyNow && !readyBefore) {
            events.normal(c, "Ready", "All roles are ready.");
        } else if (!readyNow && readyBefore) {
            events.warning(c, "NotReady", ConditionSet.find(now, READY).orElseThrow().getMessage());
        }
        if (ConditionSet.isTrue(now, DEGRADED) && !ConditionSet.isTrue(was, DEGRADED)) {
            events.warning(c, "Degraded", ConditionSet.find(now, DEGRADED).orElseThrow().getMessage());
        }
        swapEvents.forEach(e -> events.normal(c, e.reason(), e.message()));
    }

    private static void transition(EventRecorder events, PubSubCluster c, List<Condition> was, List<Condition> now,
                                   String type, String onTrue, String onFalse) {
        boolean before = ConditionSet.isTrue(was, type);
        boolean after = ConditionSet.isTrue(now, type);
        if (after && !before) {
            events.normal(c, onTrue, ConditionSet.find(now, type).orElseThrow().getMessage());
        } else if (!after && before) {
            events.normal(c, onFalse, ConditionSet.find(now, type).orElseThrow().getMessage());
        }
    }
}
