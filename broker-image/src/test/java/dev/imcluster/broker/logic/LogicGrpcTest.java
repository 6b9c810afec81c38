package dev.imcluster.broker.logic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.ConnectReply;
import dev.imcluster.broker.api.internal.ConnectReq;
import dev.imcluster.broker.api.internal.DisconnectReq;
import dev.imcluster.broker.api.internal.HeartbeatReq;
import dev.imcluster.broker.api.internal.LogicGrpc;
import dev.imcluster.broker.api.internal.OnlineReq;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.api.internal.ReceiveReq;
import dev.imcluster.broker.api.protocol.Proto;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.LogicConfig;
import dev.imcluster.broker.security.JwtTestTokens;
import dev.imcluster.broker.mq.memory.InMemoryBus;
import dev.imcluster.broker.runtime.RoleContext;
import dev.imcluster.broker.session.memory.InMemorySessionStore;
import dev.imcluster.broker.testing.TestSupport;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** logic's gRPC services over a real socket. */
class LogicGrpcTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    private final InMemoryBus bus = new InMemoryBus(new SimpleMeterRegistry());
    private final InMemorySessionStore sessions = TestSupport.sessions();
    private LogicRole logic;
    private ManagedChannel channel;

    private LogicGrpc.LogicBlockingStub start(LogicConfig.AuthMode mode) throws Exception {
        BrokerConfig config = TestSupport.loopbackConfig();
        config.logic.auth.mode = mode;
        if (mode == LogicConfig.AuthMode.jwt) {
            Path secret = dir.resolve("secret");
            Files.writeString(secret, SECRET);
            config.logic.auth.hs256SecretFile = secret.toString();
        }
        RoleContext ctx = TestSupport.context(config, "logic-1", bus, sessions);
        logic = new LogicRole(ctx);
        logic.start();
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", logic.grpcPort()).usePlaintext().build();
        return LogicGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (logic != null) {
            logic.close();
        }
        bus.close();
    }

    private static ConnectReq connect(String json) {
        return ConnectReq.newBuilder().setServer("comet-a").setRemoteAddr("10.0.0.9:5555")
                .setToken(ByteString.copyFromUtf8(json)).build();
    }

    @Test
    void goimModeSessionLifecycle() throws Exception {
        LogicGrpc.LogicBlockingStub stub = start(LogicConfig.AuthMode.goim);
        ConnectReply reply = stub.connect(connect(
                "{\"mid\":123,\"room_id\":\"live://1000\",\"platform\":\"web\",\"accepts\":[1000,1001,1002]}"));
        assertThat(reply.getMid()).isEqualTo(123);
        assertThat(reply.getKey()).isNotEmpty();
        assertThat(reply.getRoomId()).isEqualTo("live://1000");
        assertThat(reply.getAcceptsList()).containsExactly(1000, 1001, 1002);
        assertThat(reply.getHeartbeat()).isEqualTo(480); // goim: 4m x heartbeatMax 2
        assertThat(sessions.serversByKeys(List.of(reply.getKey())).join()).containsEntry(reply.getKey(), "comet-a");

        stub.heartbeat(HeartbeatReq.newBuilder().setMid(123).setKey(reply.getKey()).setServer("comet-a").build());
        // A heartbeat for a session the store forgot writes it again, as goim does.
        stub.heartbeat(HeartbeatReq.newBuilder().setMid(5).setKey("forgotten").setServer("comet-b").build());
        assertThat(sessions.keysByMids(List.of(5L)).join()).containsEntry("forgotten", "comet-b");

        assertThat(stub.disconnect(DisconnectReq.newBuilder().setMid(123).setKey(reply.getKey())
                .setServer("comet-a").build()).getHas()).isTrue();
        assertThat(sessions.serversByKeys(List.of(reply.getKey())).join()).isEmpty();

        stub.receive(ReceiveReq.newBuilder().setMid(123).setKey("k")
                .setProto(Proto.newBuilder().setOp(4).setBody(ByteString.copyFromUtf8("up"))).build());

        assertThatThrownBy(() -> stub.connect(connect("not json")))
                .isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    }

    @Test
    void renewOnlineReturnsTheSumsAcrossComets() throws Exception {
        LogicGrpc.LogicBlockingStub stub = start(LogicConfig.AuthMode.goim);
        stub.renewOnline(OnlineReq.newBuilder().setServer("comet-a").putRoomCount("live://1", 3).build());
        Map<String, Integer> all = stub.renewOnline(OnlineReq.newBuilder().setServer("comet-b")
                .putRoomCount("live://1", 4).putRoomCount("live://2", 1).build()).getAllRoomCountMap();
        assertThat(all).containsExactlyInAnyOrderEntriesOf(Map.of("live://1", 7, "live://2", 1));
    }

    @Test
    void jwtModeNeedsAValidToken() throws Exception {
        LogicGrpc.LogicBlockingStub stub = start(LogicConfig.AuthMode.jwt);
        String token = JwtTestTokens.hs256(SECRET.getBytes(StandardCharsets.UTF_8),
                "{\"mid\":9,\"exp\":" + (System.currentTimeMillis() / 1000 + 600) + "}");
        ConnectReply reply = stub.connect(connect("{\"room_id\":\"live://1\",\"token\":\"" + token + "\"}"));
        assertThat(reply.getMid()).isEqualTo(9);

        for (String body : List.of("{\"mid\":123,\"room_id\":\"live://1\"}",
                "{\"token\":\"" + JwtTestTokens.unsigned("{\"mid\":1}") + "\"}",
                "{\"token\":\"" + JwtTestTokens.hs256("wrong-secret-wrong-secret-wrong-!".getBytes(StandardCharsets.UTF_8),
                        "{\"mid\":1}") + "\"}")) {
            assertThatThrownBy(() -> stub.connect(connect(body)))
                    .isInstanceOf(StatusRuntimeException.class)
                    .satisfies(e -> {
                        Status s = Status.fromThrowable(e);
                        assertThat(s.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                        assertThat(s.getDescription()).isNotBlank().doesNotContain("eyJ"); // reason, never the token
                    });
        }
    }

    @Test
    void publishMakesARoomEnvelopeAndSubscribePointsToComet() throws Exception {
        start(LogicConfig.AuthMode.goim);
        List<PushEnvelope> published = new CopyOnWriteArrayList<>();
        bus.subscribe("test", e -> {
            published.add(e);
            return CompletableFuture.completedFuture(null);
        });
        PubSubServiceGrpc.PubSubServiceBlockingStub pubsub = PubSubServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(20, TimeUnit.SECONDS);
        pubsub.publish(PublishRequest.newBuilder().setTopic("orders").setPayload(ByteString.copyFromUtf8("o1")).build());
        await().atMost(Duration.ofSeconds(30)).until(() -> published.size() == 1);
        PushEnvelope e = published.get(0);
        assertThat(e.getType()).isEqualTo(PushEnvelope.Type.ROOM);
        assertThat(e.getRoom()).isEqualTo("orders");
        assertThat(e.getOperation()).isEqualTo(1000);
        assertThat(e.getMsg().toStringUtf8()).isEqualTo("o1");

        assertCode(() -> pubsub.publish(PublishRequest.newBuilder().build()), Status.Code.INVALID_ARGUMENT);
        assertCode(() -> pubsub.subscribe(SubscribeRequest.newBuilder().setTopic("orders").build()).next(),
                Status.Code.UNIMPLEMENTED);
        bus.setAvailable(false);
        assertCode(() -> pubsub.publish(PublishRequest.newBuilder().setTopic("orders").build()), Status.Code.UNAVAILABLE);
    }

    @Test
    void servesHealthAndReflection() throws Exception {
        start(LogicConfig.AuthMode.goim);
        HealthCheckResponse health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService("PubSubService").build());
        assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

        CompletableFuture<ServerReflectionResponse> listed = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(
                new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse value) {
                        listed.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        listed.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        requests.onCompleted();
        assertThat(listed.get(20, TimeUnit.SECONDS).getListServicesResponse().getServiceList())
                .extracting(s -> s.getName())
                .contains("PubSubService", "imcluster.internal.v1.Logic", "grpc.health.v1.Health");
    }

    private static void assertCode(Runnable call, Status.Code code) {
        assertThatThrownBy(call::run).isInstanceOf(StatusRuntimeException.class)
                .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(code));
    }
}
