package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.protocol.Op;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The per-source-address limits of comet (comet.connectRateLimit, comet.maxConnectionsPerAddress,
 * comet.publishRateLimitPerAddress) and the per-connection publish limit (comet.publishRateLimit), with clients on
 * two loopback source addresses: 127.0.0.2 is pushed over its limit while 127.0.0.1 is not affected. Rates are
 * one per thousand seconds, so no bucket refills during a test whatever the machine's speed.
 */
class SourceAddressLimitsTest {
    private static final String LIMITED = "127.0.0.2";
    private static final String OTHER = "127.0.0.1";
    private static final double NO_REFILL = 0.001;

    // ---- connects ----

    @Test
    void tcpConnectsBeyondAnAddressesBurstAreClosedAtOnceAndOtherAddressesStillConnect() throws Exception {
        try (CometHarness h = new CometHarness(c -> {
            c.comet.connectRateLimit.rate = NO_REFILL;
            c.comet.connectRateLimit.burst = 2;
        })) {
            List<GoimClient> admitted = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    admitted.add(tcpFrom(LIMITED, h).auth(auth(i, "limited-" + i, "live://a")));
                }
                try (Socket refused = socketFrom(LIMITED, h.comet.tcpPort())) {
                    assertClosedByServer(refused);
                }
                try (GoimClient other = tcpFrom(OTHER, h)) {
                    other.auth(auth(9, "other", "live://a"));
                    assertThat(other.heartbeat()).isPositive();
                }
                assertThat(admitted.get(0).heartbeat()).as("admitted connections are not touched").isPositive();
            } finally {
                admitted.forEach(GoimClient::close);
            }
            assertThat(h.counter("imcluster.comet.connections.refused", "reason", "rate_limited")).isEqualTo(1);
            assertThat(h.counter("imcluster.rate.limited", "endpoint", "comet_connect")).isEqualTo(1);
        }
    }

    @Test
    void webSocketUpgradesBeyondAnAddressesBurstGet429() throws Exception {
        try (CometHarness h = new CometHarness(c -> {
            c.comet.connectRateLimit.rate = NO_REFILL;
            c.comet.connectRateLimit.burst = 1;
        })) {
            int port = h.comet.websocketPort();
            // One after the other: connections accepted together are admitted on their event loops in any order.
            try (Socket first = socketFrom(LIMITED, port)) {
                assertThat(upgrade(first)).startsWith("HTTP/1.1 101");
                try (Socket second = socketFrom(LIMITED, port)) {
                    assertThat(upgrade(second)).startsWith("HTTP/1.1 429");
                    assertClosedByServer(second);
                }
                try (Socket other = socketFrom(OTHER, port)) {
                    assertThat(upgrade(other)).startsWith("HTTP/1.1 101");
                }
            }
            assertThat(h.counter("imcluster.comet.connections.refused", "reason", "rate_limited")).isEqualTo(1);
        }
    }

    @Test
    void grpcSubscribesBeyondAnAddressesBurstAreResourceExhausted() throws Exception {
        try (CometHarness h = new CometHarness(c -> {
            c.comet.connectRateLimit.rate = NO_REFILL;
            c.comet.connectRateLimit.burst = 2;
        })) {
            ManagedChannel limited = channelFrom(LIMITED, h);
            ManagedChannel other = channelFrom(OTHER, h);
            try {
                SubscribeStream a = subscribe(h, PubSubServiceGrpc.newStub(limited), "t");
                SubscribeStream b = subscribe(h, PubSubServiceGrpc.newStub(limited), "t");
                SubscribeStream refused = new SubscribeStream();
                PubSubServiceGrpc.newStub(limited).subscribe(SubscribeRequest.newBuilder().setTopic("t").build(),
                        refused);
                Status status = refused.end.get(20, TimeUnit.SECONDS);
                assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                assertThat(status.getDescription()).contains("comet.connectRateLimit");
                SubscribeStream fromOther = subscribe(h, PubSubServiceGrpc.newStub(other), "t");
                h.pushRoom("t", CometHarness.message(1000, "m"));
                assertThat(List.of(a.nextPayload(), b.nextPayload(), fromOther.nextPayload())).containsOnly("m");
                assertThat(a.end).isNotDone();
            } finally {
                limited.shutdownNow();
                other.shutdownNow();
            }
            assertThat(h.counter("imcluster.comet.connections.refused", "reason", "rate_limited")).isEqualTo(1);
        }
    }

    @Test
    void openConnectionsPerAddressAreCappedAcrossTransportsAndFreedWhenTheyClose() throws Exception {
        try (CometHarness h = new CometHarness(c -> c.comet.maxConnectionsPerAddress = 2)) {
            ManagedChannel limited = channelFrom(LIMITED, h);
            try (GoimClient tcp = tcpFrom(LIMITED, h).auth(auth(1, "one", "live://p"))) {
                SubscribeStream sub = subscribe(h, PubSubServiceGrpc.newStub(limited), "t");
                try (Socket refusedTcp = socketFrom(LIMITED, h.comet.tcpPort());
                     Socket refusedWs = socketFrom(LIMITED, h.comet.websocketPort())) {
                    assertClosedByServer(refusedTcp);
                    assertThat(upgrade(refusedWs)).startsWith("HTTP/1.1 429");
                }
                SubscribeStream refusedSub = new SubscribeStream();
                PubSubServiceGrpc.newStub(limited).subscribe(SubscribeRequest.newBuilder().setTopic("t").build(),
                        refusedSub);
                Status status = refusedSub.end.get(20, TimeUnit.SECONDS);
                assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                assertThat(status.getDescription()).contains("comet.maxConnectionsPerAddress");
                try (GoimClient other = tcpFrom(OTHER, h)) {
                    other.auth(auth(2, "other", "live://p"));
                }
                assertThat(h.counter("imcluster.comet.connections.refused", "reason", "per_address_limit"))
                        .isEqualTo(3);
                assertThat(sub.end).isNotDone();
            }
            // The goim connection closed: its place is free again.
            SourceAddressLimits limits = comet(h).limits;
            InetSocketAddress limitedSource = new InetSocketAddress(LIMITED, 1);
            await().atMost(GoimClient.WAIT).until(() -> limits.openFrom(limitedSource) == 1);
            try (GoimClient again = tcpFrom(LIMITED, h)) {
                again.auth(auth(3, "again", "live://p"));
            }
            limited.shutdownNow();
            limited.awaitTermination(20, TimeUnit.SECONDS);
            await().atMost(GoimClient.WAIT).untilAsserted(() -> assertThat(limits.trackedSources())
                    .as("no entry kept once every connection closed").isZero());
        }
    }

    // ---- publishes ----

    @Test
    void goimUpstreamFramesAreLimitedPerConnectionAndPerAddress() throws Exception {
        try (CometHarness h = new CometHarness(c -> {
            c.comet.publishRateLimit.rate = NO_REFILL;
            c.comet.publishRateLimit.burst = 2;
            c.comet.publishRateLimitPerAddress.rate = NO_REFILL;
            c.comet.publishRateLimitPerAddress.burst = 3;
        })) {
            try (GoimClient a = tcpFrom(LIMITED, h).auth(auth(1, "a", "live://u"));
                 GoimClient b = tcpFrom(LIMITED, h).auth(auth(2, "b", "live://u"));
                 GoimClient other = tcpFrom(OTHER, h).auth(auth(3, "o", "live://u"))) {
                assertThat(sendMsg(a, 1)).isEmpty();
                assertThat(sendMsg(a, 2)).isEmpty();
                assertThat(sendMsg(a, 3)).as("a's own bucket is empty").contains("(comet.publishRateLimit)");
                assertThat(sendMsg(b, 4)).as("b has its own connection bucket").isEmpty();
                assertThat(sendMsg(b, 5)).as("but the address's three are used")
                        .contains("comet.publishRateLimitPerAddress");
                assertThat(sendMsg(other, 6)).as("another address is not affected").isEmpty();
                assertThat(a.heartbeat()).as("a refused frame does not close the connection").isPositive();
            }
            assertThat(h.logic.received).hasSize(4);
            assertThat(h.counter("imcluster.comet.publishes.refused", "reason", "connection_rate_limited"))
                    .isEqualTo(1);
            assertThat(h.counter("imcluster.comet.publishes.refused", "reason", "address_rate_limited"))
                    .isEqualTo(1);
        }
    }

    @Test
    void grpcPublishesAreLimitedPerConnectionAndPerAddress() throws Exception {
        try (CometHarness h = new CometHarness(c -> {
            c.comet.publishRateLimit.rate = NO_REFILL;
            c.comet.publishRateLimit.burst = 2;
            c.comet.publishRateLimitPerAddress.rate = NO_REFILL;
            c.comet.publishRateLimitPerAddress.burst = 3;
        })) {
            ManagedChannel first = channelFrom(LIMITED, h);
            ManagedChannel second = channelFrom(LIMITED, h);
            ManagedChannel other = channelFrom(OTHER, h);
            try {
                publish(first);
                publish(first);
                assertThat(refusedPublish(first)).contains("comet.publishRateLimit)");
                publish(second);
                assertThat(refusedPublish(second)).contains("comet.publishRateLimitPerAddress");
                publish(other);
            } finally {
                first.shutdownNow();
                second.shutdownNow();
                other.shutdownNow();
            }
            assertThat(h.logic.published).hasSize(4);
            assertThat(h.counter("imcluster.comet.publishes.refused", "reason", "connection_rate_limited"))
                    .isEqualTo(1);
            assertThat(h.counter("imcluster.comet.publishes.refused", "reason", "address_rate_limited"))
                    .isEqualTo(1);
        }
    }

    // ---- helpers ----

    private static CometContext comet(CometHarness h) throws Exception {
        var field = CometRole.class.getDeclaredField("comet");
        field.setAccessible(true);
        return (CometContext) field.get(h.comet);
    }

    private static Socket socketFrom(String source, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(source, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        s.setSoTimeout((int) GoimClient.WAIT.toMillis());
        return s;
    }

    private static GoimClient tcpFrom(String source, CometHarness h) throws IOException {
        return new GoimClient.Tcp(socketFrom(source, h.comet.tcpPort())).reading();
    }

    /** The server closes without sending anything (a reset counts too). */
    private static void assertClosedByServer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        try {
            int b;
            do {
                b = in.read();
            } while (b != -1);
        } catch (SocketException reset) {
            // closed by the peer
        }
    }

    /** Sends a WebSocket upgrade request and returns the response's status line. */
    private static String upgrade(Socket s) throws IOException {
        s.getOutputStream().write(("GET /sub HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        StringBuilder line = new StringBuilder();
        InputStream in = s.getInputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            line.append((char) c);
        }
        return line.toString().trim();
    }

    private static ManagedChannel channelFrom(String source, CometHarness h) {
        return NettyChannelBuilder.forAddress("127.0.0.1", h.comet.pubsubGrpcPort()).usePlaintext()
                .localSocketPicker(new NettyChannelBuilder.LocalSocketPicker() {
                    @Override
                    public java.net.SocketAddress createSocketAddress(java.net.SocketAddress remote,
                                                                      io.grpc.Attributes attrs) {
                        return new InetSocketAddress(source, 0);
                    }
                }).build();
    }

    private static SubscribeStream subscribe(CometHarness h, PubSubServiceGrpc.PubSubServiceStub stub,
                                                  String topic) {
        SubscribeStream c = new SubscribeStream();
        double before = h.gauge("imcluster.comet.topic.subscribers");
        stub.subscribe(SubscribeRequest.newBuilder().setTopic(topic).build(), c);
        await().atMost(GoimClient.WAIT).until(() -> h.gauge("imcluster.comet.topic.subscribers") > before);
        return c;
    }

    /** The body of the SendMsg reply: empty when forwarded, the refusal when rate limited. */
    private static String sendMsg(GoimClient c, int seq) {
        c.send(Op.SEND_MSG, seq, "hello");
        GoimClient.Received reply = c.expect(Op.SEND_MSG_REPLY);
        assertThat(reply.seq()).isEqualTo(seq);
        return new String(reply.body(), StandardCharsets.UTF_8);
    }

    private static PublishRequest message() {
        return PublishRequest.newBuilder().setTopic("t").setPayload(ByteString.copyFromUtf8("p")).build();
    }

    private static void publish(ManagedChannel channel) {
        PubSubServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS).publish(message());
    }

    private static String refusedPublish(ManagedChannel channel) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> publish(channel));
        assertThat(e).isNotNull();
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        return e.getStatus().getDescription();
    }
}
