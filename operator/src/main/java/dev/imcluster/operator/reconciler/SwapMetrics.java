package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import dev.imcluster.operator.model.SwapState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When each cluster's running backend swap entered its phase, as Unix seconds (0: no swap running), so that an
 * alert can tell a swap stuck in one phase (ImclusterSwapStuck) from one that moves.
 */
final class SwapMetrics {
    private final MeterRegistry registry;
    private final Map<String, AtomicLong> phaseStarted = new ConcurrentHashMap<>();

    SwapMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void record(PubSubCluster c, PubSubClusterStatus next) {
        String ns = c.getMetadata().getNamespace();
        String name = c.getMetadata().getName();
        phaseStarted.computeIfAbsent(ns + "/" + name, k -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder("imcluster.operator.swap.phase.started", value, AtomicLong::get)
                    .description("When the running backend swap entered its current phase (Unix time); 0 when "
                            + "no swap runs")
                    .baseUnit("seconds")
                    .tag("namespace", ns).tag("cluster", name).register(registry);
            return value;
        }).set(runningPhaseStart(next));
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
