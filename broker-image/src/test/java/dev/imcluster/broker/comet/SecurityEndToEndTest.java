package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.CometGrpc;
import dev.imcluster.broker.api.internal.HeartbeatReq;
import dev.imcluster.broker.api.internal.LogicGrpc;
import dev.imcluster.broker.api.internal.RoomsReq;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.LogicConfig;
import dev.imcluster.broker.security.JwtTestTokens;
import dev.imcluster.broker.security.Bearer;
import dev.imcluster.broker.testing.TestSupport;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * logic, comet and job as separate roles on loopback, deployed as the operator deploys them: an internal token
 * (security.internalTokenFile), client JWTs (HS256), and per-caller publish rate limits.
 */
class SecurityEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TOKEN = "internal-token-0123456789abcdef";
    private static final byte[] SECRET = "an-hs256-secret-of-at-least-32-bytes!".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private InProcessCluster cluster;

    private BrokerConfig config() throws Exception {
        BrokerConfig c = TestSupport.loopbackConfig();
        c.security.internalTokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n").toString();
        c.logic.auth.mode = LogicConfig.AuthMode.jwt;
        c.logic.auth.hs256SecretFile = Files.write(dir.resolve("secret"), SECRET).toString();
        // One per thousand seconds: only the burst counts during a test, whatever the machine's speed.
        c.comet.publishRateLimit.rate = 0.001;
        c.comet.publishRateLimit.burst = 2;
        c.logic.pushRateLimit.rate = 0.001;
        c.logic.pushRateLimit.burst = 3;
        return c;
    }

    @BeforeEach
    void start() throws Exception {
        cluster = InProcessCluster.builder(this::config).comets("comet-1")
                .job(c -> c.job.roomBatch.maxDelay = Duration.ofMillis(20)).start();
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private static <S extends AbstractStub<S>> S bearer(S stub, String token) {
        Metadata headers = new Metadata();
        headers.put(Bearer.AUTHORIZATION, "Bearer " + token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static String jwt(String subject, long expiresAt) throws Exception {
        return JwtTestTokens.hs256(SECRET, "{\"sub\":\"" + subject + "\",\"mid\":7,\"exp\":" + expiresAt + "}");
    }

    private static String jwt(String subject) throws Exception {
        return jwt(subject, System.currentTimeMillis() / 1000 + 3600);
    }

    private HttpResponse<String> pushRoom(String authorization, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(cluster.pushUrl()
                        + "/goim/push/room?operation=1000&type=live&room=sec")).timeout(WAIT)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            r.header("Authorization", authorization);
        }
        return TestSupport.HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static PublishRequest publish(String topic, String payload) {
        return PublishRequest.newBuilder().setTopic(topic).setPayload(ByteString.copyFromUtf8(payload)).build();
    }

    private static Status.Code code(Runnable call) {
        return catchThrowableOfType(StatusRuntimeException.class, call::run).getStatus().getCode();
    }

    @Test
    void internalEndpointsRequireTheTokenAndTheRolesSendItToEachOther() throws Exception {
        assertThat(pushRoom(null, "x").statusCode()).isEqualTo(401);
        HttpResponse<String> wrong = pushRoom("Bearer not-the-token-0123456789", "x");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).contains("\"code\":-401").contains("not this cluster's internal token");
        assertThat(cluster.logicCounter("imcluster.auth.rejected", "endpoint", "logic_http", "reason", "missing"))
                .isEqualTo(1);
        assertThat(cluster.logicCounter("imcluster.auth.rejected", "endpoint", "logic_http", "reason", "invalid"))
                .isEqualTo(1);

        ManagedChannel cometInternal = cluster.channel(cluster.comet(0).grpcPort());
        assertThat(code(() -> CometGrpc.newBlockingStub(cometInternal).rooms(RoomsReq.getDefaultInstance())))
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        String clientJwt = jwt("u1");
        assertThat(code(() -> bearer(CometGrpc.newBlockingStub(cometInternal), clientJwt)
                .rooms(RoomsReq.getDefaultInstance()))).as("a client JWT is not the internal token")
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        HealthGrpc.newBlockingStub(cometInternal).check(HealthCheckRequest.getDefaultInstance()); // probes stay open
        ManagedChannel logicGrpc = cluster.channel(cluster.logic().grpcPort());
        assertThat(code(() -> LogicGrpc.newBlockingStub(logicGrpc).heartbeat(HeartbeatReq.getDefaultInstance())))
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(cluster.cometCounter("imcluster.auth.rejected", "endpoint", "comet_grpc", "reason", "missing"))
                .isEqualTo(1);

        // comet -> logic (Connect) and job -> comet (BroadcastRoom) carry the token: a client gets the push.
        try (GoimClient client = GoimClient.connect(Transport.TCP, cluster.comet(0).tcpPort())) {
            client.auth("{\"room_id\":\"live://sec\",\"accepts\":[1000],\"token\":\"" + jwt("u1") + "\"}");
            assertThat(pushRoom("Bearer " + TOKEN, "hello").statusCode()).isEqualTo(200);
            assertThat(client.expectPushes(1).get(0).text()).isEqualTo("hello");
        }
    }

    @Test
    void thePublicGrpcApiRequiresAClientJwtAndNeverEchoesIt() throws Exception {
        ManagedChannel pubsub = cluster.channel(cluster.comet(0).pubsubGrpcPort());
        SubscribeStream anonymous = new SubscribeStream();
        PubSubServiceGrpc.newStub(pubsub).subscribe(SubscribeRequest.newBuilder().setTopic("live://jwt").build(),
                anonymous);
        Status refused = anonymous.end.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        assertThat(refused.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(refused.getDescription()).contains("authorization: Bearer");

        String expired = jwt("u2", System.currentTimeMillis() / 1000 - 3600);
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> bearer(PubSubServiceGrpc.newBlockingStub(pubsub), expired).publish(publish("live://jwt", "x")));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(e.getStatus().getDescription()).isEqualTo("expired: JWT has expired").doesNotContain(expired);
        assertThat(cluster.cometCounter("imcluster.auth.rejected", "endpoint", "comet_pubsub_grpc",
                "reason", "invalid")).isEqualTo(1);

        // A valid JWT subscribes; logic's own Publish accepts a client JWT too (and refuses none).
        String token = jwt("u2");
        SubscribeStream sub = new SubscribeStream();
        bearer(PubSubServiceGrpc.newStub(pubsub), token)
                .subscribe(SubscribeRequest.newBuilder().setTopic("live://jwt").build(), sub);
        await().atMost(WAIT).until(() -> cluster.cometContext(0).meters().find("imcluster.comet.topic.subscribers")
                .gauge().value() == 1);
        ManagedChannel logicGrpc = cluster.channel(cluster.logic().grpcPort());
        assertThat(code(() -> PubSubServiceGrpc.newBlockingStub(logicGrpc).publish(publish("live://jwt", "x"))))
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        bearer(PubSubServiceGrpc.newBlockingStub(logicGrpc), jwt("service")).publish(publish("live://jwt", "direct"));
        assertThat(sub.nextPayload()).isEqualTo("direct");
        // Through comet: it checks the JWT and forwards to logic with the internal token.
        bearer(PubSubServiceGrpc.newBlockingStub(pubsub), token).publish(publish("live://jwt", "via-comet"));
        assertThat(sub.nextPayload()).isEqualTo("via-comet");
    }

    @Test
    void publishersOverTheirRateAreRefusedClearlyAndCounted() throws Exception {
        ManagedChannel pubsub = cluster.channel(cluster.comet(0).pubsubGrpcPort());
        var alice = bearer(PubSubServiceGrpc.newBlockingStub(pubsub), jwt("alice"));
        alice.publish(publish("live://rate", "1"));
        alice.publish(publish("live://rate", "2"));
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> alice.publish(publish("live://rate", "3")));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(e.getStatus().getDescription()).contains("comet.publishRateLimit");
        // The limit is per connection: another connection has its own.
        ManagedChannel another = cluster.channel(cluster.comet(0).pubsubGrpcPort());
        bearer(PubSubServiceGrpc.newBlockingStub(another), jwt("bob")).publish(publish("live://rate", "b"));
        assertThat(cluster.cometCounter("imcluster.rate.limited", "endpoint", "comet")).isEqualTo(1);

        // goim upstream frames (SendMsg) per connection: the reply says so and the connection stays.
        try (GoimClient client = GoimClient.connect(Transport.TCP, cluster.comet(0).tcpPort())) {
            client.auth("{\"key\":\"k-rate\",\"room_id\":\"live://rate\",\"token\":\"" + jwt("carol") + "\"}");
            for (int seq = 1; seq <= 2; seq++) {
                client.send(4, seq, "up");
                assertThat(client.expect(5).body()).isEmpty();
            }
            client.send(4, 3, "up");
            GoimClient.Received limited = client.expect(5);
            assertThat(limited.seq()).isEqualTo(3);
            assertThat(limited.text()).contains("\"code\":429");
            client.heartbeat();
        }
        assertThat(cluster.cometCounter("imcluster.rate.limited", "endpoint", "comet")).isEqualTo(2);

        for (int i = 0; i < 3; i++) {
            assertThat(pushRoom("Bearer " + TOKEN, "m" + i).statusCode()).isEqualTo(200);
        }
        HttpResponse<String> tooMany = pushRoom("Bearer " + TOKEN, "m3");
        assertThat(tooMany.statusCode()).isEqualTo(429);
        assertThat(tooMany.body()).contains("logic.pushRateLimit");
        assertThat(cluster.logicCounter("imcluster.rate.limited", "endpoint", "logic")).isEqualTo(1);
    }
}
