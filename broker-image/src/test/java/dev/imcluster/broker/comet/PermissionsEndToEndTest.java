package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.CometGrpc;
import dev.imcluster.broker.api.internal.RoomsReq;
import dev.imcluster.broker.api.pubsub.HistoryRequest;
import dev.imcluster.broker.api.pubsub.PresenceRequest;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.LogicConfig;
import dev.imcluster.broker.protocol.Op;
import dev.imcluster.broker.security.Bearer;
import dev.imcluster.broker.security.JwtTestTokens;
import dev.imcluster.broker.security.Permissions;
import dev.imcluster.broker.testing.TestSupport;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The {@code imcluster} permissions claim of client JWTs, with logic, comet and job as separate roles (internal
 * token, HS256 client JWTs): goim clients on TCP and WebSocket and gRPC clients may join, subscribe to, publish
 * on, read the history and presence of exactly the topics their token lists; everything else is refused clearly
 * and counted, and the connection stays up.
 */
class PermissionsEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "internal-token-0123456789abcdef";
    private static final byte[] SECRET = "an-hs256-secret-of-at-least-32-bytes!".getBytes(StandardCharsets.UTF_8);
    /** Subscribe to live://*, publish on chat://a. */
    private static final String CLAIM = "\"imcluster\":{\"subscribe\":[\"live://*\"],\"publish\":[\"chat://a\"]}";

    @TempDir
    Path dir;

    private InProcessCluster cluster;

    private BrokerConfig config(boolean requirePermissions) throws Exception {
        BrokerConfig c = TestSupport.loopbackConfig();
        c.security.internalTokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n").toString();
        c.logic.auth.mode = LogicConfig.AuthMode.jwt;
        c.logic.auth.hs256SecretFile = Files.write(dir.resolve("secret"), SECRET).toString();
        c.logic.auth.requirePermissions = requirePermissions;
        c.delivery.history = List.of(TestSupport.historyPolicy("*", 100));
        return c;
    }

    private void start(boolean requirePermissions) throws Exception {
        cluster = InProcessCluster.builder(() -> config(requirePermissions)).comets("comet-1")
                .job(c -> c.job.roomBatch.maxDelay = Duration.ofMillis(20)).start();
    }

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String jwt(String subject, String claim) throws Exception {
        return JwtTestTokens.hs256(SECRET, "{\"sub\":\"" + subject + "\",\"mid\":7,\"exp\":"
                + (System.currentTimeMillis() / 1000 + 3600) + (claim.isEmpty() ? "" : "," + claim) + "}");
    }

    private static <S extends AbstractStub<S>> S bearer(S stub, String token) {
        Metadata headers = new Metadata();
        headers.put(Bearer.AUTHORIZATION, "Bearer " + token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static PublishRequest publish(String topic, String payload) {
        return PublishRequest.newBuilder().setTopic(topic).setPayload(ByteString.copyFromUtf8(payload)).build();
    }

    /** A room push through logic's HTTP API (internal token): {@code type://room}. */
    private void pushRoom(String type, String room, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(cluster.pushUrl() + "/goim/push/room?operation=1000&type="
                        + type + "&room=" + room)).timeout(WAIT).header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        assertThat(TestSupport.HTTP.send(r, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    private double cometDenied(String action) {
        return cluster.cometCounter("imcluster.comet.permission.denied", "action", action);
    }

    private double logicDenied(String action) {
        return cluster.logicCounter("imcluster.logic.permission.denied", "action", action);
    }

    /** The rooms with members on comet, from its internal Rooms call. */
    private java.util.Set<String> cometRooms() {
        return bearer(CometGrpc.newBlockingStub(cluster.channel(cluster.comet(0).grpcPort())), TOKEN)
                .rooms(RoomsReq.getDefaultInstance()).getRoomsMap().keySet();
    }

    private GoimClient goim(Transport transport) {
        return cluster.connect(transport, cluster.comet(0));
    }

    /** Sends Auth and returns its reply's body: empty when the room was joined (goim's reply). */
    private static String auth(GoimClient client, String room, String token) {
        client.send(Op.AUTH, 1, "{\"room_id\":\"" + room + "\",\"accepts\":[1000],\"token\":\"" + token + "\"}");
        GoimClient.Received reply = client.expect(Op.AUTH_REPLY);
        assertThat(reply.seq()).isEqualTo(1);
        return reply.text();
    }

    private static JsonNode json(GoimClient.Received frame) throws Exception {
        return JSON.readTree(frame.body());
    }

    private static StatusRuntimeException refusal(Runnable call) {
        return catchThrowableOfType(StatusRuntimeException.class, call::run);
    }

    private static void assertDenied(StatusRuntimeException e, String action, String topic) {
        assertThat(e).as(action + " " + topic + " refused").isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(e.getStatus().getDescription()).contains("not permitted to " + action, "'" + topic + "'",
                "imcluster.");
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void goimClientsJoinOnlyTheRoomsTheirTokenPermits(Transport transport) throws Exception {
        start(false);
        GoimClient client = goim(transport);
        String token = jwt("u1", CLAIM);

        // Auth into a room the token does not permit: authenticated, in no room; the reply says why.
        JsonNode joinRefused = JSON.readTree(auth(client, "chat://b", token));
        assertThat(joinRefused.get("code").asInt()).isEqualTo(403);
        assertThat(joinRefused.get("message").asText()).contains("not permitted to join 'chat://b'",
                "imcluster.subscribe");
        assertThat(joinRefused.get("room").asText()).isEmpty();
        assertThat(cometRooms()).doesNotContain("chat://b");
        assertThat(cometDenied("join")).isEqualTo(1);
        client.heartbeat(); // still connected

        // ChangeRoom (op 12) into a permitted room: goim's echo; pushes arrive.
        client.send(Op.CHANGE_ROOM, 2, "live://1");
        GoimClient.Received joined = client.expect(Op.CHANGE_ROOM_REPLY);
        assertThat(joined.seq()).isEqualTo(2);
        assertThat(joined.text()).isEqualTo("live://1");
        pushRoom("live", "1", "first");
        assertThat(client.expectPush().text()).isEqualTo("first");

        // ChangeRoom into a room it may not join: stays in live://1, the reply says why and where it is.
        client.send(Op.CHANGE_ROOM, 3, "chat://b");
        GoimClient.Received changeRefused = client.expect(Op.CHANGE_ROOM_REPLY);
        assertThat(changeRefused.seq()).isEqualTo(3);
        assertThat(json(changeRefused).get("code").asInt()).isEqualTo(403);
        assertThat(json(changeRefused).get("message").asText()).contains("not permitted to change room 'chat://b'");
        assertThat(json(changeRefused).get("room").asText()).isEqualTo("live://1");
        assertThat(cometDenied("change_room")).isEqualTo(1);

        // RESUME (op 22) of a room it may not join: refused in its RESUME_REPLY, still in live://1.
        client.send(Op.RESUME, 4, "{\"room\":\"chat://b\",\"offset\":\"0\",\"epoch\":\"memory:x\"}");
        GoimClient.Received resumeRefused = client.expect(Op.RESUME_REPLY);
        assertThat(resumeRefused.seq()).isEqualTo(4);
        JsonNode resume = json(resumeRefused);
        assertThat(resume.get("code").asInt()).isEqualTo(403);
        assertThat(resume.get("recovered").asBoolean()).isFalse();
        assertThat(resume.get("replayed").asInt()).isZero();
        assertThat(resume.get("message").asText()).contains("not permitted to resume 'chat://b'");
        assertThat(resume.get("room").asText()).isEqualTo("live://1");
        assertThat(cometDenied("resume")).isEqualTo(1);

        assertThat(cometRooms()).contains("live://1").doesNotContain("chat://b");
        pushRoom("live", "1", "second");
        assertThat(client.expectPush().text()).isEqualTo("second");
        assertThat(client.closed).isFalse();

        // A permitted RESUME is answered as usual.
        client.send(Op.RESUME, 5, "{\"room\":\"live://2\",\"offset\":\"0\",\"epoch\":\"memory:x\"}");
        GoimClient.Received resumed = client.expect(Op.RESUME_REPLY);
        assertThat(json(resumed).has("code")).isFalse();
        await().atMost(WAIT).until(() -> cometRooms().contains("live://2"));
        assertThat(cometDenied("resume")).isEqualTo(1);
    }

    @Test
    void grpcClientsSubscribePublishAndReadExactlyAsTheClaimSays() throws Exception {
        start(false);
        String token = jwt("u1", CLAIM);
        ManagedChannel pubsub = cluster.channel(cluster.comet(0).pubsubGrpcPort());
        var blocking = bearer(PubSubServiceGrpc.newBlockingStub(pubsub), token);

        SubscribeStream refusedSub = new SubscribeStream();
        bearer(PubSubServiceGrpc.newStub(pubsub), token)
                .subscribe(SubscribeRequest.newBuilder().setTopic("chat://a").build(), refusedSub);
        Status refused = refusedSub.end.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(refused.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(refused.getDescription()).contains("not permitted to subscribe", "'chat://a'",
                "imcluster.subscribe");
        assertThat(cometDenied("subscribe")).isEqualTo(1);

        SubscribeStream sub = new SubscribeStream();
        bearer(PubSubServiceGrpc.newStub(pubsub), token)
                .subscribe(SubscribeRequest.newBuilder().setTopic("live://x").build(), sub);
        await().atMost(WAIT).until(() -> cometRooms().contains("live://x"));

        assertDenied(refusal(() -> blocking.publish(publish("live://x", "no"))), "publish", "live://x");
        assertThat(cometDenied("publish")).isEqualTo(1);
        assertThat(blocking.publish(publish("chat://a", "yes")).getId()).isNotEmpty();

        // Internal callers (services with the internal token) are not restricted.
        ManagedChannel logicGrpc = cluster.channel(cluster.logic().grpcPort());
        bearer(PubSubServiceGrpc.newBlockingStub(logicGrpc), TOKEN).publish(publish("live://x", "from-service"));
        assertThat(sub.nextPayload()).isEqualTo("from-service");

        assertThat(blocking.history(HistoryRequest.newBuilder().setTopic("live://x").build()).getMessagesCount())
                .isEqualTo(1);
        assertDenied(refusal(() -> blocking.history(HistoryRequest.newBuilder().setTopic("chat://a").build())),
                "history", "chat://a");
        assertThat(cometDenied("history")).isEqualTo(1);
        blocking.presence(PresenceRequest.newBuilder().setTopic("live://x").build());
        assertDenied(refusal(() -> blocking.presence(PresenceRequest.newBuilder().setTopic("chat://a").build())),
                "presence", "chat://a");
        assertThat(cometDenied("presence")).isEqualTo(1);
        // Nothing reached logic that comet refused: the internal token's callers are trusted there.
        assertThat(logicDenied("publish") + logicDenied("history") + logicDenied("presence")).isZero();

        // logic's own PubSubService checks callers that bring a client JWT.
        var direct = bearer(PubSubServiceGrpc.newBlockingStub(logicGrpc), token);
        assertThat(direct.publish(publish("chat://a", "direct")).getId()).isNotEmpty();
        assertDenied(refusal(() -> direct.publish(publish("live://x", "no"))), "publish", "live://x");
        assertDenied(refusal(() -> direct.history(HistoryRequest.newBuilder().setTopic("chat://a").build())),
                "history", "chat://a");
        assertDenied(refusal(() -> direct.presence(PresenceRequest.newBuilder().setTopic("chat://a").build())),
                "presence", "chat://a");
        assertThat(logicDenied("publish")).isEqualTo(1);
        assertThat(logicDenied("history")).isEqualTo(1);
        assertThat(logicDenied("presence")).isEqualTo(1);
        direct.history(HistoryRequest.newBuilder().setTopic("live://x").build());

        // The subscription lived through all the refusals.
        bearer(PubSubServiceGrpc.newBlockingStub(logicGrpc), TOKEN).publish(publish("live://x", "still-here"));
        assertThat(sub.nextPayload()).isEqualTo("still-here");
        assertThat(sub.end).isNotDone();
    }

    @Test
    void requirePermissionsRefusesEverythingToATokenWithoutTheClaim() throws Exception {
        start(true);
        String bare = jwt("u2", "");
        GoimClient client = goim(Transport.TCP);
        assertThat(JSON.readTree(auth(client, "live://1", bare)).get("code").asInt()).isEqualTo(403);
        client.send(Op.CHANGE_ROOM, 2, "live://1");
        assertThat(json(client.expect(Op.CHANGE_ROOM_REPLY)).get("code").asInt()).isEqualTo(403);
        assertThat(cometRooms()).doesNotContain("live://1");
        client.heartbeat();

        ManagedChannel pubsub = cluster.channel(cluster.comet(0).pubsubGrpcPort());
        var blocking = bearer(PubSubServiceGrpc.newBlockingStub(pubsub), bare);
        assertDenied(refusal(() -> blocking.publish(publish("chat://a", "x"))), "publish", "chat://a");
        assertDenied(refusal(() -> blocking.history(HistoryRequest.newBuilder().setTopic("live://1").build())),
                "history", "live://1");
        SubscribeStream sub = new SubscribeStream();
        bearer(PubSubServiceGrpc.newStub(pubsub), bare)
                .subscribe(SubscribeRequest.newBuilder().setTopic("live://1").build(), sub);
        assertThat(sub.end.get(WAIT.toSeconds(), TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(cometDenied("join") + cometDenied("change_room") + cometDenied("publish") + cometDenied("history")
                + cometDenied("subscribe")).isEqualTo(5);

        // A token with the claim may do what it lists.
        var permitted = bearer(PubSubServiceGrpc.newBlockingStub(pubsub), jwt("u3", CLAIM));
        assertThat(permitted.publish(publish("chat://a", "ok")).getId()).isNotEmpty();
        GoimClient other = goim(Transport.WEBSOCKET);
        assertThat(auth(other, "live://1", jwt("u3", CLAIM))).isEmpty();
        await().atMost(WAIT).until(() -> cometRooms().contains("live://1"));
    }

    @Test
    void withoutTheClaimAndWithoutRequirePermissionsEverythingIsAllowed() throws Exception {
        start(false);
        String bare = jwt("u4", "");
        GoimClient client = goim(Transport.WEBSOCKET);
        assertThat(auth(client, "chat://b", bare)).isEmpty();
        client.send(Op.CHANGE_ROOM, 2, "anything://1");
        assertThat(client.expect(Op.CHANGE_ROOM_REPLY).text()).isEqualTo("anything://1");
        pushRoom("anything", "1", "hi");
        assertThat(client.expectPush().text()).isEqualTo("hi");

        ManagedChannel pubsub = cluster.channel(cluster.comet(0).pubsubGrpcPort());
        SubscribeStream sub = new SubscribeStream();
        bearer(PubSubServiceGrpc.newStub(pubsub), bare)
                .subscribe(SubscribeRequest.newBuilder().setTopic("chat://z").build(), sub);
        await().atMost(WAIT).until(() -> cometRooms().contains("chat://z"));
        bearer(PubSubServiceGrpc.newBlockingStub(pubsub), bare).publish(publish("chat://z", "mine"));
        assertThat(sub.nextPayload()).isEqualTo("mine");
        for (Permissions.Action a : Permissions.Action.values()) {
            assertThat(cometDenied(a.tag())).as(a.tag()).isZero();
        }
    }

    @Test
    void aMalformedClaimRefusesTheTokenItself() throws Exception {
        start(false);
        String malformed = jwt("u5", "\"imcluster\":{\"subscribe\":\"live://*\"}");
        GoimClient client = goim(Transport.TCP);
        client.send(Op.AUTH, 1, "{\"room_id\":\"live://1\",\"token\":\"" + malformed + "\"}");
        client.awaitClosed();
        StatusRuntimeException e = refusal(() -> bearer(PubSubServiceGrpc.newBlockingStub(
                cluster.channel(cluster.comet(0).pubsubGrpcPort())), malformed).publish(publish("chat://a", "x")));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(e.getStatus().getDescription()).startsWith("malformed:").contains("imcluster.subscribe");
        assertThat(cluster.logicCounter("imcluster.auth.refused", "reason", "malformed")).isEqualTo(1);
        assertThat(cluster.cometCounter("imcluster.auth.refused", "reason", "malformed")).isEqualTo(1);
    }
}
