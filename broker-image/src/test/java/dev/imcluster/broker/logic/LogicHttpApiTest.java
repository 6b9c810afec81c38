package dev.imcluster.broker.logic;

import static dev.imcluster.broker.testing.TestSupport.get;
import static dev.imcluster.broker.testing.TestSupport.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.mq.memory.InMemoryBus;
import dev.imcluster.broker.runtime.RoleContext;
import dev.imcluster.broker.session.memory.InMemorySessionStore;
import dev.imcluster.broker.testing.TestSupport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** goim's HTTP push API over a real socket, publishing to the in-memory bus. */
class LogicHttpApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final InMemoryBus bus = new InMemoryBus(new SimpleMeterRegistry());
    private final InMemorySessionStore sessions = TestSupport.sessions();
    private final List<PushEnvelope> published = new CopyOnWriteArrayList<>();
    private RoleContext ctx;
    private LogicRole logic;
    private String base;

    @BeforeEach
    void start() throws Exception {
        BrokerConfig config = TestSupport.loopbackConfig();
        config.logic.maxMessageSize = 1024;
        ctx = TestSupport.context(config, "logic-1", bus, sessions);
        logic = new LogicRole(ctx);
        logic.start();
        base = "http://127.0.0.1:" + logic.httpPort();
        bus.subscribe("test", e -> {
            published.add(e);
            return CompletableFuture.completedFuture(null);
        });
    }

    @AfterEach
    void stop() {
        logic.close();
        bus.close();
    }

    private List<PushEnvelope> awaitPublished(int n) {
        await().atMost(Duration.ofSeconds(30)).until(() -> published.size() >= n);
        assertThat(published).hasSize(n);
        return published;
    }

    private static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("code").asInt()).isZero();
        assertThat(body.get("message").asText()).isEmpty();
        return body.get("data");
    }

    private static void refused(HttpResponse<String> r, int status, String messagePart) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("code").asInt()).isEqualTo(-status);
        assertThat(body.get("message").asText()).contains(messagePart);
    }

    @Test
    void pushKeysSendsOneEnvelopePerServer() throws Exception {
        sessions.addMapping(1, "k1", "comet-a").join();
        sessions.addMapping(2, "k2", "comet-b").join();
        sessions.addMapping(3, "k3", "comet-a").join();
        ok(post(base + "/goim/push/keys?operation=1000&keys=k1&keys=k2&keys=k3&keys=gone", "hello"));
        List<PushEnvelope> envelopes = awaitPublished(2);
        Map<String, PushEnvelope> byServer = Map.of(envelopes.get(0).getServer(), envelopes.get(0),
                envelopes.get(1).getServer(), envelopes.get(1));
        assertThat(byServer.get("comet-a").getKeysList()).containsExactlyInAnyOrder("k1", "k3");
        assertThat(byServer.get("comet-b").getKeysList()).containsExactly("k2");
        for (PushEnvelope e : envelopes) {
            assertThat(e.getType()).isEqualTo(PushEnvelope.Type.PUSH);
            assertThat(e.getOperation()).isEqualTo(1000);
            assertThat(e.getMsg().toStringUtf8()).isEqualTo("hello");
            assertThat(e.getPublishedAtMicros()).isPositive();
        }
        assertThat(envelopes.get(0).getMsgId()).isNotEmpty().isNotEqualTo(envelopes.get(1).getMsgId());
    }

    @Test
    void pushMidsResolvesEveryKeyOfTheUser() throws Exception {
        sessions.addMapping(42, "phone", "comet-a").join();
        sessions.addMapping(42, "web", "comet-a").join();
        ok(post(base + "/goim/push/mids?operation=1001&mids=42", "hi"));
        PushEnvelope e = awaitPublished(1).get(0);
        assertThat(e.getServer()).isEqualTo("comet-a");
        assertThat(e.getKeysList()).containsExactlyInAnyOrder("phone", "web");
        assertThat(e.getOperation()).isEqualTo(1001);
    }

    @Test
    void pushRoomAndAll() throws Exception {
        ok(post(base + "/goim/push/room?operation=1000&type=live&room=1000", "to the room"));
        ok(post(base + "/goim/push/all?operation=1002&speed=50", "to everyone"));
        List<PushEnvelope> envelopes = awaitPublished(2);
        PushEnvelope room = envelopes.stream().filter(e -> e.getType() == PushEnvelope.Type.ROOM).findFirst().orElseThrow();
        assertThat(room.getRoom()).isEqualTo("live://1000");
        assertThat(room.getMsg().toStringUtf8()).isEqualTo("to the room");
        PushEnvelope all = envelopes.stream().filter(e -> e.getType() == PushEnvelope.Type.BROADCAST).findFirst()
                .orElseThrow();
        assertThat(all.getOperation()).isEqualTo(1002);
        assertThat(all.getSpeed()).isEqualTo(50);
    }

    @Test
    void onlineCountsSumOverComets() throws Exception {
        sessions.addServerOnline("comet-a", Map.of("live://1", 5, "live://2", 1, "chat://9", 7)).join();
        sessions.addServerOnline("comet-b", Map.of("live://1", 2, "live://3", 4)).join();
        JsonNode top = ok(get(base + "/goim/online/top?type=live&limit=2"));
        assertThat(top.toString()).isEqualTo("[{\"room_id\":\"1\",\"count\":7},{\"room_id\":\"3\",\"count\":4}]");
        JsonNode rooms = ok(get(base + "/goim/online/room?type=live&rooms=1&rooms=2&rooms=404"));
        assertThat(rooms.toString()).isEqualTo("{\"1\":7,\"2\":1,\"404\":0}");
        JsonNode total = ok(get(base + "/goim/online/total"));
        assertThat(total.get("conn_count").asLong()).isEqualTo(19);
    }

    @Test
    void badParametersAre400WithAClearMessage() throws Exception {
        refused(post(base + "/goim/push/room?type=live&room=1", "x"), 400, "operation");
        refused(post(base + "/goim/push/room?operation=1000&room=1", "x"), 400, "type");
        refused(post(base + "/goim/push/room?operation=1000&type=live", "x"), 400, "room");
        refused(post(base + "/goim/push/all?operation=abc", "x"), 400, "operation must be an integer");
        refused(post(base + "/goim/push/all?operation=1000&speed=-1", "x"), 400, "speed");
        refused(post(base + "/goim/push/keys?operation=1000", "x"), 400, "keys");
        refused(post(base + "/goim/push/mids?operation=1000&mids=12x", "x"), 400, "mids must be integers");
        refused(get(base + "/goim/online/top?type=live&limit=0"), 400, "limit");
        refused(get(base + "/goim/online/top?limit=3"), 400, "type");
        refused(get(base + "/goim/online/room?type=live"), 400, "rooms");
        refused(get(base + "/goim/push/all?operation=1000"), 405, "POST");
        refused(get(base + "/goim/nope"), 404, "/goim/nope");
        assertThat(published).isEmpty();
    }

    @Test
    void aBodyOverTheLimitIs413() throws Exception {
        HttpResponse<String> r = post(base + "/goim/push/all?operation=1000", "x".repeat(2048));
        assertThat(r.statusCode()).isEqualTo(413);
        ok(post(base + "/goim/push/all?operation=1000", "x".repeat(1024)));
    }

    @Test
    void aQueueOutageIs503NeverOk() throws Exception {
        bus.setAvailable(false);
        refused(post(base + "/goim/push/room?operation=1000&type=live&room=1", "lost?"), 503, "queue unavailable");
        refused(post(base + "/goim/push/all?operation=1000", "lost?"), 503, "queue unavailable");
        assertThat(ctx.meters().counter("imcluster_logic_publish_failures", "type", "room").count()).isEqualTo(1);
        assertThat(ctx.health().ready()).isFalse();
        bus.setAvailable(true);
        ok(post(base + "/goim/push/room?operation=1000&type=live&room=1", "now it works"));
        assertThat(awaitPublished(1).get(0).getMsg().toStringUtf8()).isEqualTo("now it works");
    }
}
