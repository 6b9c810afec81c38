package dev.imcluster.broker.process;

import static dev.imcluster.broker.testing.TestSupport.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.broker.runtime.Health;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class AdminServerTest {

    @Test
    void servesMetricsHealthAndReadiness() throws Exception {
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Counter.builder("imcluster_test_things").register(meters).increment(3);
        Health health = new Health();
        AtomicBoolean queueUp = new AtomicBoolean(true);
        health.register("bus", () -> queueUp.get() ? Health.Check.up() : Health.Check.down("queue unreachable"));
        health.registerAdvisory("sessions", () -> Health.Check.down("session store unreachable"));
        try (AdminServer admin = new AdminServer("127.0.0.1", 0, meters, health)) {
            String base = "http://127.0.0.1:" + admin.port();
            HttpResponse<String> metrics = get(base + "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("content-type")).hasValueSatisfying(
                    ct -> assertThat(ct).startsWith("text/plain"));
            assertThat(metrics.body()).contains("imcluster_test_things_total 3.0");

            assertThat(get(base + "/healthz").statusCode()).isEqualTo(200);
            HttpResponse<String> ready = get(base + "/readyz");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"bus\":{\"ok\":true")
                    .as("an advisory check is shown but keeps the process ready")
                    .contains("\"sessions\":{\"ok\":false,\"detail\":\"session store unreachable\",\"advisory\":true}");

            queueUp.set(false);
            HttpResponse<String> notReady = get(base + "/readyz");
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).contains("queue unreachable").contains("\"ready\":false");
            assertThat(get(base + "/healthz").statusCode()).isEqualTo(200);

            assertThat(get(base + "/nope").statusCode()).isEqualTo(404);
            admin.markStopping();
            assertThat(get(base + "/readyz").statusCode()).isEqualTo(503);
        }
    }
}
