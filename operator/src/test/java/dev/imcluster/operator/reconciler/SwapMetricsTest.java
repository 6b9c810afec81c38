package dev.imcluster.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import dev.imcluster.operator.testing.Examples;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class SwapMetricsTest {

    private static PubSubClusterStatus swapIn(String phase, String phaseStartedAt) {
        PubSubClusterStatus status = new PubSubClusterStatus();
        status.backend = new PubSubClusterStatus.BackendStatus();
        status.backend.migration = new PubSubClusterStatus.Migration();
        status.backend.migration.phase = phase;
        status.backend.migration.phaseStartedAt = phaseStartedAt;
        return status;
    }

    @Test
    void aRunningPhaseShowsWhenItStartedAndAnEndedOrAbsentSwapShowsZero() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SwapMetrics metrics = new SwapMetrics(new ClusterGauges(registry));
        PubSubCluster c = Examples.load("quickstart.yaml");
        metrics.record(c, swapIn("Drain", "2026-12-06T10:00:00Z")); // 1,796,551,200 s
        assertThat(registry.get("imcluster.operator.swap.phase.started").tag("cluster", "quickstart")
                .tag("namespace", "demo").gauge().value()).isEqualTo(1_796_551_200d);
        metrics.record(c, swapIn("Complete", "2026-12-06T10:05:00Z"));
        assertThat(registry.get("imcluster.operator.swap.phase.started").gauge().value()).isZero();
        metrics.record(c, new PubSubClusterStatus());
        assertThat(registry.get("imcluster.operator.swap.phase.started").gauge().value()).isZero();
        assertThat(SwapMetrics.runningPhaseStart(swapIn("Cancelled", "2026-12-06T10:00:00Z"))).isZero();
        assertThat(SwapMetrics.runningPhaseStart(swapIn("DualConsume", "not a time"))).isZero();
        assertThat(SwapMetrics.runningPhaseStart(null)).isZero();
    }
}
