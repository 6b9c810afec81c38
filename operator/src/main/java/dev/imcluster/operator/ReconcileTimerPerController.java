package dev.imcluster.operator;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;

/**
 * JOSDK's per-resource metrics time every reconciliation in a histogram per PubSubCluster: about 70 series per
 * cluster (buckets and client-side percentiles), 36,000 at 500 clusters, which made /metrics megabytes large and
 * slower to scrape than a usual scrape timeout. The reconcile timer keeps only its controller tag, so it is one
 * histogram for the operator; the per-resource counters (reconciliations started, succeeded, failed by name and
 * namespace, a few series per cluster) stay as they are for the dashboard and the alerts.
 */
final class ReconcileTimerPerController {
    static final String TIMER = "operator.sdk.controllers.execution.reconcile";

    private ReconcileTimerPerController() {
    }

    static void configure(MeterRegistry registry) {
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                if (!id.getName().equals(TIMER)) {
                    return id;
                }
                String controller = id.getTag("controller");
                return id.replaceTags(controller == null ? Tags.empty() : Tags.of(Tag.of("controller", controller)));
            }
        });
    }
}
