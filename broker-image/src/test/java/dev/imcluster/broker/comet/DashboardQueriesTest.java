package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.process.BrokerProcess;
import dev.imcluster.broker.testinfra.PrometheusServerProcess;
import dev.imcluster.broker.testing.TestSupport;
import dev.imcluster.common.testing.Promtool;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 17's "dashboards that are true", for the broker's panels: a real Prometheus (Debian's) scrapes a standalone
 * broker (comet, logic and job in one process, every role's meters) with the labels a Kubernetes scrape adds, while a
 * goim client in a room gets HTTP pushes; then every expression of the chart's Grafana dashboard that queries a
 * broker metric ({@code imcluster_*}) is evaluated through Prometheus's API, its variables as Grafana's "All" sets
 * them, and must return data. An expression that names an unknown metric or label returns nothing, so it fails here.
 * The operator's panels ({@code operator_sdk_*}) need the operator and are not evaluated here.
 *
 * <p>Needs Debian's prometheus package (promtool and prometheus): fails in CI without it, skipped elsewhere.
 */
class DashboardQueriesTest {
    private static final Path DASHBOARD = Path.of("..", "charts", "imcluster-operator", "files", "dashboard.json");
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyBrokerPanelOfTheDashboardReturnsDataFromARealPrometheus() throws Exception {
        Promtool.assumeAvailable();
        List<String> queries = brokerQueries(JSON.readTree(Files.readString(DASHBOARD)));
        assertThat(queries).as("broker queries of the dashboard").hasSizeGreaterThan(10);
        BrokerConfig config = TestSupport.loopbackConfig();
        config.comet.mqtt.enabled = true;
        config.comet.mqtt.port = 0;
        try (BrokerProcess broker = BrokerProcess.start(BrokerProcess.Mode.standalone, config)) {
            CometRole comet = broker.role(CometRole.class).orElseThrow();
            String push = "http://127.0.0.1:" + broker.role(dev.imcluster.broker.logic.LogicRole.class).orElseThrow()
                    .httpPort() + "/goim/push/room?operation=1000&type=live&room=dashboard";
            try (GoimClient client = GoimClient.connect("127.0.0.1", comet.tcpPort())
                    .auth(CometHarness.auth(1, "dashboard-client", "live://dashboard", 1000));
                 PrometheusServerProcess prometheus = PrometheusServerProcess.launch(Map.of(
                         "127.0.0.1:" + broker.adminPort(), Map.of("namespace", "imcluster-test",
                                 "app_kubernetes_io_instance", "dashboard", "pod", "standalone-0")))) {
                Map<String, String> empty = new LinkedHashMap<>();
                queries.forEach(q -> empty.put(q, "not evaluated yet"));
                long deadline = System.nanoTime() + WAIT.toNanos();
                int pushes = 0;
                while (!empty.isEmpty() && System.nanoTime() < deadline) {
                    for (int i = 0; i < 10; i++) {
                        assertThat(TestSupport.post(push, "push " + pushes++).statusCode()).isEqualTo(200);
                    }
                    client.drainPushes();
                    for (String q : new ArrayList<>(empty.keySet())) {
                        String outcome = evaluate(prometheus, q);
                        if (outcome == null) {
                            empty.remove(q);
                        } else {
                            empty.put(q, outcome);
                        }
                    }
                    Thread.sleep(1000);
                }
                StringBuilder why = new StringBuilder();
                empty.forEach((q, outcome) -> why.append("\n  ").append(q).append("  ->  ").append(outcome));
                assertThat(empty).withFailMessage("%d dashboard queries returned no data after %d pushes:%s",
                        empty.size(), pushes, why).isEmpty();
            }
        }
    }

    /** Null when the query returned data; else why not (an error, or an empty result). */
    private static String evaluate(PrometheusServerProcess prometheus, String query) throws Exception {
        JsonNode reply = JSON.readTree(TestSupport.get(prometheus.api() + "/query?query="
                + URLEncoder.encode(query, StandardCharsets.UTF_8)).body());
        if (!"success".equals(reply.path("status").asText())) {
            return reply.path("error").asText("failed");
        }
        return reply.path("data").path("result").isEmpty() ? "empty result" : null;
    }

    /**
     * Every target expression of every panel (nested rows too) that queries a broker metric, with Grafana's
     * variables as "All" sets them and {@code $__rate_interval} as 30 s (30 one-second scrapes).
     */
    static List<String> brokerQueries(JsonNode dashboard) {
        List<String> queries = new ArrayList<>();
        collect(dashboard.path("panels"), queries);
        return queries.stream().filter(q -> q.contains("imcluster_"))
                .map(q -> q.replace("$__rate_interval", "30s").replace("$namespace", ".*").replace("$cluster", ".*"))
                .distinct().toList();
    }

    private static void collect(JsonNode panels, List<String> into) {
        for (JsonNode panel : panels) {
            for (JsonNode target : panel.path("targets")) {
                if (target.hasNonNull("expr")) {
                    into.add(target.get("expr").asText());
                }
            }
            collect(panel.path("panels"), into);
        }
    }
}
