package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;

/**
 * A backend swap in progress, as persisted in {@code status.backend.migration} (the API's name for the swap's record,
 * hence this class's): from which backend, to which, and
 * the phase. It decides what each role is rendered with, so an operator restart renders exactly what it did before.
 *
 * <table>
 * <tr><th>phase</th><th>logic publishes to</th><th>job consumes</th></tr>
 * <tr><td>DualConsume</td><td>from</td><td>to + from (previous)</td></tr>
 * <tr><td>SwitchPublish, Drain</td><td>to</td><td>to + from (previous)</td></tr>
 * <tr><td>Finalize</td><td>to</td><td>to</td></tr>
 * </table>
 */
public record SwapState(MqSpec.Backend from, MqSpec.Backend to, Phase phase) {

    public enum Phase {
        /** job rolls to consume both backends; logic still publishes to the old one. */
        DualConsume,
        /** logic rolls to publish to the new backend. */
        SwitchPublish,
        /** every logic pod publishes to the new backend; wait until job reports the old one drained. */
        Drain,
        /** job rolls to consume the new backend only. */
        Finalize,
        /** Done; the old backend's managed objects are removed. Not an in-progress state. */
        Complete,
        /** Reverted during DualConsume: logic never published to the new backend; job consumes the old one only. */
        Cancelled;

        public static Phase parse(String s) {
            for (Phase p : values()) {
                if (p.name().equals(s)) {
                    return p;
                }
            }
            return null;
        }
    }

    public SwapState {
        if (from == to) {
            throw new IllegalArgumentException("a backend swap needs two different backends, got " + from);
        }
        if (phase == Phase.Complete || phase == Phase.Cancelled) {
            throw new IllegalArgumentException(phase + " is not an in-progress swap");
        }
    }

    /** The in-progress swap recorded in status, or null (none, complete, or an unreadable record). */
    public static SwapState of(PubSubClusterStatus status) {
        if (status == null || status.backend == null || status.backend.migration == null) {
            return null;
        }
        PubSubClusterStatus.Migration m = status.backend.migration;
        Phase phase = Phase.parse(m.phase);
        MqSpec.Backend from = backend(m.from);
        MqSpec.Backend to = backend(m.to);
        if (phase == null || phase == Phase.Complete || phase == Phase.Cancelled || from == null || to == null || from == to) {
            return null;
        }
        return new SwapState(from, to, phase);
    }

    public static MqSpec.Backend backend(String name) {
        if (name == null) {
            return null;
        }
        for (MqSpec.Backend b : MqSpec.Backend.values()) {
            if (b.name().equals(name)) {
                return b;
            }
        }
        return null;
    }

    public SwapState withPhase(Phase next) {
        return new SwapState(from, to, next);
    }

    /** The backend logic publishes to. */
    public MqSpec.Backend logicBackend() {
        return phase == Phase.DualConsume ? from : to;
    }

    /** job's mq.backend (readiness follows it). */
    public MqSpec.Backend jobBackend() {
        return to;
    }

    /** job's mq.previous.backend, or null once the old backend is drained. */
    public MqSpec.Backend jobPrevious() {
        return phase == Phase.Finalize ? null : from;
    }

    /**
     * Whether the cluster uses backend {@code b} for the swap state being rendered (null: none): it is spec.mq.backend,
     * or takes part in the swap, whose old backend stays in use until the swap is Complete.
     */
    public static boolean uses(PubSubCluster c, SwapState swap, MqSpec.Backend b) {
        return BrokerConfigRenderer.specBackend(c) == b || (swap != null && swap.involves(b));
    }

    /** Whether {@code b} takes part (its managed objects stay until the swap is Complete). */
    public boolean involves(MqSpec.Backend b) {
        return b == from || b == to;
    }
}
