package dev.imcluster.broker.comet;

import dev.imcluster.broker.api.internal.BroadcastRoomReq;
import dev.imcluster.broker.api.internal.CometGrpc;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.runtime.Health;
import dev.imcluster.broker.runtime.RoleContext;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A real comet on loopback (free ports) against {@link FakeLogic}, with job's view of its internal gRPC. */
final class CometHarness implements AutoCloseable {
    final FakeLogic logic;
    final BrokerConfig config = new BrokerConfig();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final Health health = new Health();
    final CometRole comet;
    final ManagedChannel internal;
    final ManagedChannel pubsubChannel;
    /** job's stub. */
    final CometGrpc.CometBlockingStub job;
    final PubSubServiceGrpc.PubSubServiceBlockingStub pubsub;
    final PubSubServiceGrpc.PubSubServiceStub pubsubAsync;

    CometHarness() throws Exception {
        this(c -> { });
    }

    CometHarness(Consumer<BrokerConfig> tweak) throws Exception {
        logic = new FakeLogic();
        config.serverId = "comet-test";
        config.bindAddress = "127.0.0.1";
        config.comet.tcp.port = 0;
        config.comet.websocket.port = 0;
        config.comet.grpc.port = 0;
        config.comet.pubsubGrpc.port = 0;
        config.comet.logicAddress = logic.address();
        config.logic.auth.mode = dev.imcluster.broker.config.LogicConfig.AuthMode.goim; // FakeLogic authenticates
        config.comet.onlineReportInterval = Duration.ofMillis(200);
        config.comet.drainTimeout = Duration.ofSeconds(5);
        // Tests open many connections from 127.0.0.1 at once; the ones about the limit turn it on.
        config.comet.connectRateLimit.rate = 0;
        tweak.accept(config);
        comet = new CometRole(new RoleContext(config, config.serverId, meters, health, null, null, null));
        try {
            comet.start();
        } catch (Exception | Error e) {
            logic.close();
            throw e;
        }
        internal = NettyChannelBuilder.forAddress("127.0.0.1", comet.grpcPort()).usePlaintext().build();
        pubsubChannel = NettyChannelBuilder.forAddress("127.0.0.1", comet.pubsubGrpcPort()).usePlaintext().build();
        job = CometGrpc.newBlockingStub(internal).withDeadlineAfter(1, TimeUnit.HOURS);
        pubsub = PubSubServiceGrpc.newBlockingStub(pubsubChannel);
        pubsubAsync = PubSubServiceGrpc.newStub(pubsubChannel);
    }

    int port(Transport transport) {
        return transport == Transport.TCP ? comet.tcpPort() : comet.websocketPort();
    }

    GoimClient client(Transport transport) {
        return GoimClient.connect(transport, port(transport));
    }

    static String auth(long mid, String key, String room, int... accepts) {
        StringBuilder ops = new StringBuilder();
        for (int op : accepts) {
            ops.append(ops.length() == 0 ? "" : ",").append(op);
        }
        return "{\"mid\":" + mid + ",\"key\":\"" + key + "\",\"room_id\":\"" + room
                + "\",\"platform\":\"web\",\"accepts\":[" + ops + "]}";
    }

    static RoomMessage message(int op, String body) {
        return RoomMessage.newBuilder().setMsgId(UUID.randomUUID().toString()).setOperation(op)
                .setBody(ByteString.copyFrom(body, StandardCharsets.UTF_8))
                .setPublishedAtMicros(System.currentTimeMillis() * 1000).build();
    }

    void pushRoom(String room, RoomMessage... messages) {
        BroadcastRoomReq.Builder req = BroadcastRoomReq.newBuilder().setRoomId(room);
        for (RoomMessage m : messages) {
            req.addMessages(m);
        }
        job.broadcastRoom(req.build());
    }

    double counter(String name, String... tags) {
        Counter c = meters.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    double gauge(String name, String... tags) {
        var g = meters.find(name).tags(tags).gauge();
        return g == null ? Double.NaN : g.value();
    }

    @Override
    public void close() {
        internal.shutdownNow();
        pubsubChannel.shutdownNow();
        comet.close();
        logic.close();
    }
}
