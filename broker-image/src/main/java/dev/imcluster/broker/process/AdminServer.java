package dev.imcluster.broker.process;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imcluster.broker.http.HttpServer;
import dev.imcluster.broker.http.HttpServer.Reply;
import dev.imcluster.broker.runtime.Health;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code admin.port}: {@code /metrics} (Prometheus text), {@code /healthz} (200 while the process serves) and
 * {@code /readyz} (200 only when every {@link Health} check passes; the JSON body lists them).
 */
public final class AdminServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private volatile boolean serving = true;
    private final Map<String, java.util.function.Supplier<CompletableFuture<Reply>>> routes =
            new java.util.concurrent.ConcurrentHashMap<>();

    public AdminServer(String bindAddress, int port, PrometheusMeterRegistry meters, Health health)
            throws InterruptedException {
        this.server = HttpServer.start("admin", bindAddress, port, 4096, 1,
                request -> routes.containsKey(request.path()) ? routes.get(request.path()).get()
                        : CompletableFuture.completedFuture(switch (request.path()) {
                    case "/metrics" -> new Reply(200, PROMETHEUS_TEXT,
                            meters.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    case "/healthz" -> serving ? Reply.text(200, "ok\n") : Reply.text(503, "shutting down\n");
                    case "/readyz" -> readiness(health);
                    default -> Reply.text(404, "not found; try /metrics, /healthz or /readyz\n");
                }));
    }

    private Reply readiness(Health health) {
        Map<String, Health.Check> checks = health.evaluate();
        boolean ready = serving && checks.values().stream().allMatch(Health.Check::passes);
        ObjectNode body = JSON.createObjectNode();
        body.put("ready", ready);
        ObjectNode list = body.putObject("checks");
        checks.forEach((name, check) -> {
            ObjectNode entry = list.putObject(name).put("ok", check.ok()).put("detail", check.detail());
            if (check.advisory()) {
                entry.put("advisory", true);
            }
        });
        return Reply.json(ready ? 200 : 503, body.toString());
    }

    /** Serves {@code path} with {@code handler}, which must not block (it runs on the event loop). */
    public void route(String path, java.util.function.Supplier<CompletableFuture<Reply>> handler) {
        routes.put(path, handler);
    }

    public int port() {
        return server.port();
    }

    /** From now on /healthz and /readyz answer 503, so probes take the pod out before it stops. */
    public void markStopping() {
        serving = false;
    }

    @Override
    public void close() {
        server.close();
    }
}
