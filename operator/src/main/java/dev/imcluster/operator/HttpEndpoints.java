package dev.imcluster.operator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * /metrics (Prometheus text), /healthz (event sources healthy) and /readyz (operator started; a standby replica
 * waiting for the Lease is ready too, since it can take over). A small JDK server: no framework for three paths.
 */
final class HttpEndpoints implements AutoCloseable {
    private final HttpServer server;

    HttpEndpoints(int port, Operator operator, PrometheusMeterRegistry registry) throws IOException {
        server = HttpServer.create(new InetSocketAddress(port), 16);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "http-endpoints");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/metrics", ex -> reply(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                registry.scrape()));
        server.createContext("/healthz", ex -> {
            boolean healthy = !operator.getRuntimeInfo().isStarted()
                    || operator.getRuntimeInfo().allEventSourcesAreHealthy();
            reply(ex, healthy ? 200 : 503, "text/plain", healthy ? "ok\n"
                    : "unhealthy event sources: " + operator.getRuntimeInfo().unhealthyEventSources() + "\n");
        });
        server.createContext("/readyz", ex -> {
            boolean started = operator.getRuntimeInfo().isStarted();
            reply(ex, started ? 200 : 503, "text/plain", started ? "ok\n" : "starting\n");
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
