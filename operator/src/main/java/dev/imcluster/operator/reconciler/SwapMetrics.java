package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import dev.imcluster.operator.model.SwapState;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * When each cluster's running backend swap entered its phase, as Unix seconds (0: no swap running), so that an
 * alert can tell a swap stuck in one phase (ImclusterSwapStuck) from one that moves.
 */
final class SwapMetrics {
    private final ClusterGauges gauges;

    SwapMetrics(ClusterGauges gauges) {
        this.gauges = gauges;
    }

    void record(PubSubCluster c, PubSubClusterStatus next) {
        gauges.value(c, "imcluster.operator.swap.phase.started",
                "When the running backend swap entered its current phase (Unix time); 0 when no swap runs",
                "seconds").set(runningPhaseStart(next));
    }

    static long runningPhaseStart(PubSubClusterStatus status) {
        PubSubClusterStatus.Migration m = status == null || status.backend == null ? null : status.backend.migration;
        if (m == null || m.phaseStartedAt == null) {
            return 0;
        }
        SwapState.Phase phase = SwapState.Phase.parse(m.phase);
        if (phase == null || phase == SwapState.Phase.Complete || phase == SwapState.Phase.Cancelled) {
            return 0;
        }
        try {
            return Instant.parse(m.phaseStartedAt).getEpochSecond();
        } catch (DateTimeParseException e) {
            return 0;
        }
    }
}
