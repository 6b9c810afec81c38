package dev.imcluster.broker.testing;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.ConfigLoader;
import dev.imcluster.broker.config.DeliveryConfig;
import dev.imcluster.broker.mq.MessageBus;
import dev.imcluster.broker.mq.memory.InMemoryBus;
import dev.imcluster.broker.runtime.Health;
import dev.imcluster.broker.runtime.RoleContext;
import dev.imcluster.broker.session.SessionStore;
import dev.imcluster.broker.session.memory.InMemorySessionStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** Shared test helpers: loopback configs on free ports, role contexts, and an HTTP client. */
public final class TestSupport {

    public static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private TestSupport() {
    }

    /** Every listener on port 0 (free) of 127.0.0.1, goim auth mode; for roles started in tests. */
    public static BrokerConfig loopbackConfig() {
        return ConfigLoader.load(null, Map.of(
                "IMCLUSTER__BIND_ADDRESS", "127.0.0.1",
                "IMCLUSTER__ADMIN__PORT", "0",
                "IMCLUSTER__COMET__TCP__PORT", "0",
                "IMCLUSTER__COMET__WEBSOCKET__PORT", "0",
                "IMCLUSTER__COMET__GRPC__PORT", "0",
                "IMCLUSTER__COMET__PUBSUB_GRPC__PORT", "0",
                "IMCLUSTER__LOGIC__HTTP__PORT", "0",
                "IMCLUSTER__LOGIC__GRPC__PORT", "0",
                "IMCLUSTER__LOGIC__AUTH__MODE", "goim"));
    }

    public static RoleContext context(BrokerConfig config, String serverId, MessageBus bus, SessionStore sessions) {
        return context(config, serverId, bus, sessions, history());
    }

    /** With a history store shared by the roles of one test (logic reads what job appends). */
    public static RoleContext context(BrokerConfig config, String serverId, MessageBus bus, SessionStore sessions,
                                      dev.imcluster.broker.history.HistoryStore history) {
        return new RoleContext(config, serverId, new SimpleMeterRegistry(), new Health(), bus, sessions, history);
    }

    public static dev.imcluster.broker.history.HistoryStore history() {
        return new dev.imcluster.broker.history.MemoryHistoryStore(
                new dev.imcluster.broker.history.HistoryMetrics(new SimpleMeterRegistry()));
    }

    /** A history policy: the last {@code size} messages of the topics matching {@code pattern}, for 5 minutes. */
    public static DeliveryConfig.History historyPolicy(String pattern, int size) {
        DeliveryConfig.History h = new DeliveryConfig.History();
        h.pattern = pattern;
        h.size = size;
        h.ttl = Duration.ofMinutes(5);
        return h;
    }

    public static InMemoryBus bus(MeterRegistry meters) {
        return new InMemoryBus(meters);
    }

    public static InMemorySessionStore sessions() {
        return new InMemorySessionStore(Duration.ofMinutes(30));
    }

    /** Closes {@code closeable} (if any) at a test's end, best effort: the next one still closes. */
    public static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception ignored) {
            // best effort
        }
    }

    public static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public static HttpResponse<String> post(String url, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
