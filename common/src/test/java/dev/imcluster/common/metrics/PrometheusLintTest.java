package dev.imcluster.common.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.common.testing.Promtool;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

/** A registry set up as both processes set up theirs exports what promtool accepts. */
class PrometheusLintTest {

    @Test
    void processMetersAndAnUndescribedMeterAreLintClean() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        PrometheusLint.configure(registry);
        new ProcessMeters().bindTo(registry);
        Counter.builder("third.party.events").register(registry).increment();

        String exposition = registry.scrape();

        assertThat(exposition)
                .contains("process_cpu_seconds_total")
                .contains("system_cpus")
                .contains("# HELP third_party_events_total the third.party.events meter")
                .doesNotContain("process_cpu_time_ns_total")
                .doesNotContain("system_cpu_count");
        Promtool.assumeAvailable();
        assertThat(Promtool.checkMetrics(exposition)).isEmpty();
    }
}
