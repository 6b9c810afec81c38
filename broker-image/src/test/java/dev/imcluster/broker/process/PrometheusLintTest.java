package dev.imcluster.broker.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.broker.testing.TestSupport;
import dev.imcluster.common.testing.Promtool;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** A real broker process's /metrics (every role's meters: standalone runs comet, logic and job) passes promtool. */
class PrometheusLintTest {

    @Test
    void metricsEndpointIsLintClean() throws Exception {
        Promtool.assumeAvailable();
        try (BrokerProcess broker = BrokerProcess.start(BrokerProcess.Mode.standalone, TestSupport.loopbackConfig())) {
            HttpResponse<String> metrics = TestSupport.get("http://127.0.0.1:" + broker.adminPort() + "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body())
                    .contains("process_cpu_seconds_total")
                    .contains("system_cpus")
                    .doesNotContain("process_cpu_time_ns_total");
            assertThat(Promtool.checkMetrics(metrics.body())).isEmpty();
        }
    }
}
