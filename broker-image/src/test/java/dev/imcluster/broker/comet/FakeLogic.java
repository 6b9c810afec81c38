package dev.imcluster.broker.comet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Empty;
import dev.imcluster.broker.api.internal.ConnectReply;
import dev.imcluster.broker.api.internal.ConnectReq;
import dev.imcluster.broker.api.internal.DisconnectReply;
import dev.imcluster.broker.api.internal.DisconnectReq;
import dev.imcluster.broker.api.internal.HeartbeatReply;
import dev.imcluster.broker.api.internal.HeartbeatReq;
import dev.imcluster.broker.api.internal.LogicGrpc;
import dev.imcluster.broker.api.internal.OnlineReply;
import dev.imcluster.broker.api.internal.OnlineReq;
import dev.imcluster.broker.api.internal.ReceiveReply;
import dev.imcluster.broker.api.internal.ReceiveReq;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.runtime.GrpcServers;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for logic (the real one is another role) on real loopback gRPC: trusts the Auth JSON as goim's
 * logic does, refuses tokens equal to "deny", and records what comet tells it.
 */
final class FakeLogic implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    final BlockingQueue<ReceiveReq> received = new LinkedBlockingQueue<>();
    final BlockingQueue<PublishRequest> published = new LinkedBlockingQueue<>();
    /** Keys whose Disconnect arrived. */
    final java.util.Set<String> disconnected = ConcurrentHashMap.newKeySet();
    final AtomicInteger heartbeats = new AtomicInteger();
    final AtomicInteger renewals = new AtomicInteger();
    /** Added to comet's own counts in RenewOnline replies, as if other comets had members too. */
    final Map<String, Integer> otherComets = new ConcurrentHashMap<>();
    private final Server server;

    FakeLogic() throws IOException {
        server = GrpcServers.permitPeerKeepAlive(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)))
                .addService(new Logic())
                .addService(new PubSub())
                .build()
                .start();
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    @Override
    public void close() {
        try {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final class Logic extends LogicGrpc.LogicImplBase {
        @Override
        public void connect(ConnectReq req, StreamObserver<ConnectReply> response) {
            JsonNode auth;
            try {
                auth = JSON.readTree(req.getToken().toByteArray());
            } catch (IOException e) {
                response.onError(Status.UNAUTHENTICATED.withDescription("token is not JSON").asRuntimeException());
                return;
            }
            if (auth == null || !auth.isObject() || "deny".equals(auth.path("token").asText())) {
                response.onError(Status.UNAUTHENTICATED.withDescription("token refused").asRuntimeException());
                return;
            }
            ConnectReply.Builder reply = ConnectReply.newBuilder()
                    .setMid(auth.path("mid").asLong())
                    .setKey(auth.path("key").asText("").isEmpty() ? UUID.randomUUID().toString()
                            : auth.path("key").asText())
                    .setRoomId(auth.path("room_id").asText(""))
                    .setHeartbeat(auth.path("heartbeat").asLong(0));
            auth.path("accepts").forEach(op -> reply.addAccepts(op.asInt()));
            response.onNext(reply.build());
            response.onCompleted();
        }

        @Override
        public void disconnect(DisconnectReq req, StreamObserver<DisconnectReply> response) {
            disconnected.add(req.getKey());
            response.onNext(DisconnectReply.newBuilder().setHas(true).build());
            response.onCompleted();
        }

        @Override
        public void heartbeat(HeartbeatReq req, StreamObserver<HeartbeatReply> response) {
            heartbeats.incrementAndGet();
            response.onNext(HeartbeatReply.getDefaultInstance());
            response.onCompleted();
        }

        @Override
        public void renewOnline(OnlineReq req, StreamObserver<OnlineReply> response) {
            renewals.incrementAndGet();
            OnlineReply.Builder reply = OnlineReply.newBuilder().putAllAllRoomCount(req.getRoomCountMap());
            otherComets.forEach((room, n) -> reply.putAllRoomCount(room, req.getRoomCountOrDefault(room, 0) + n));
            response.onNext(reply.build());
            response.onCompleted();
        }

        @Override
        public void receive(ReceiveReq req, StreamObserver<ReceiveReply> response) {
            received.add(req);
            response.onNext(ReceiveReply.getDefaultInstance());
            response.onCompleted();
        }
    }

    private final class PubSub extends PubSubServiceGrpc.PubSubServiceImplBase {
        @Override
        public void publish(PublishRequest req,
                            StreamObserver<dev.imcluster.broker.api.pubsub.PublishResponse> response) {
            published.add(req);
            response.onNext(dev.imcluster.broker.api.pubsub.PublishResponse.getDefaultInstance());
            response.onCompleted();
        }
    }
}
