package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static dev.imcluster.broker.comet.CometHarness.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.BroadcastReq;
import dev.imcluster.broker.api.internal.PushMsgReq;
import dev.imcluster.broker.api.internal.ReceiveReq;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.internal.RoomsReq;
import dev.imcluster.broker.api.protocol.Proto;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** goim's connection lifecycle and pushes, over TCP and WebSocket, with a real goim-protocol client. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CometProtocolTest {
    private CometHarness h;

    @BeforeAll
    void start() throws Exception {
        h = new CometHarness();
    }

    @AfterAll
    void stop() throws Exception {
        h.close();
    }

    /** A Raw proto as goim's job builds it for key pushes and broadcasts: one inner frame with op = operation. */
    private static Proto raw(int operation, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ByteBuffer inner = ByteBuffer.allocate(16 + b.length);
        inner.putInt(16 + b.length).putShort((short) 16).putShort((short) 1).putInt(operation).putInt(0).put(b);
        return Proto.newBuilder().setVer(1).setOp(9).setBody(ByteString.copyFrom(inner.array())).build();
    }

    private void pushKey(String key, int operation, String body) {
        h.job.pushMsg(PushMsgReq.newBuilder().addKeys(key).setProtoOp(operation).setProto(raw(operation, body))
                .setMsgId(java.util.UUID.randomUUID().toString()).build());
    }

    private void broadcast(int operation, String body) {
        h.job.broadcast(BroadcastReq.newBuilder().setProtoOp(operation).setProto(raw(operation, body))
                .setMsgId(java.util.UUID.randomUUID().toString()).build());
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void authThenHeartbeatCarriesTheRoomOnlineCount(Transport t) {
        String room = "live://hb-" + t;
        try (GoimClient a = h.client(t); GoimClient b = h.client(t)) {
            a.auth(auth(1, "hb-a-" + t, room, 1000));
            b.auth(auth(2, "hb-b-" + t, room, 1000));
            // Cluster-wide count from logic's RenewOnline: this comet's 2 plus 40 on other comets.
            h.logic.otherComets.put(room, 40);
            await().atMost(GoimClient.WAIT).untilAsserted(() -> assertThat(a.heartbeat()).isEqualTo(42));
            assertThat(h.logic.renewals.get()).isPositive();
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void heartbeatWithoutClusterCountReportsTheLocalCount(Transport t) {
        String room = "live://local-" + t;
        try (GoimClient a = h.client(t); GoimClient b = h.client(t)) {
            a.auth(auth(1, "local-a-" + t, room));
            b.auth(auth(2, "local-b-" + t, room));
            await().atMost(GoimClient.WAIT).untilAsserted(() -> assertThat(a.heartbeat()).isEqualTo(2));
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void goimsOwnAuthBodyWithoutKeyOrTokenWorks(Transport t) {
        try (GoimClient c = h.client(t)) {
            // Exactly what examples/javascript/client.js sends.
            c.auth("{\"mid\":123, \"room_id\":\"live://1000\", \"platform\":\"web\", \"accepts\":[1000,1001,1002]}");
            h.pushRoom("live://1000", message(1000, "hello goim"));
            GoimClient.Received push = c.expectPush();
            assertThat(push.op()).isEqualTo(1000);
            assertThat(push.text()).isEqualTo("hello goim");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void pushByKeyReachesOnlyAcceptedOperations(Transport t) {
        String key = "push-" + t;
        try (GoimClient c = h.client(t)) {
            c.auth(auth(5, key, "", 1000));
            pushKey(key, 1001, "not accepted");
            pushKey(key, 1000, "accepted");
            GoimClient.Received push = c.expectPush();
            assertThat(push.op()).isEqualTo(1000);
            assertThat(push.text()).isEqualTo("accepted");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void roomPushArrivesAsOneRawBatchToEveryMember(Transport t) {
        String room = "live://batch-" + t;
        try (GoimClient a = h.client(t); GoimClient b = h.client(t); GoimClient other = h.client(t)) {
            // Room pushes are not filtered by accepts (goim's Room.Push).
            a.auth(auth(1, "batch-a-" + t, room, 1000));
            b.auth(auth(2, "batch-b-" + t, room));
            other.auth(auth(3, "batch-o-" + t, room + "-other", 1000, 1001, 1002));
            h.pushRoom(room, message(1000, "one"), message(1001, "two"), message(1002, "three"));
            for (GoimClient c : List.of(a, b)) {
                List<GoimClient.Received> frames = c.expectPushes(3);
                assertThat(frames).extracting(GoimClient.Received::op).containsExactly(1000, 1001, 1002);
                assertThat(frames).extracting(GoimClient.Received::text).containsExactly("one", "two", "three");
                assertThat(frames).allSatisfy(f -> assertThat(f.headerLen()).isEqualTo(16));
            }
            h.pushRoom(room + "-other", message(1000, "for other"));
            assertThat(other.expectPush().text()).isEqualTo("for other");
            assertThat(h.job.rooms(RoomsReq.getDefaultInstance()).getRoomsMap()).containsKeys(room, room + "-other");
        }
    }

    @Test
    void websocketRawFrameWrapsTheBatchAsGoimDoes() {
        String room = "live://ws-raw";
        try (GoimClient c = h.client(Transport.WEBSOCKET)) {
            c.auth(auth(1, "ws-raw", room));
            h.pushRoom(room, message(1000, "x"), message(1000, "yy"));
            GoimClient.Received raw = c.expect(9);
            assertThat(raw.packLen()).isEqualTo(16 + (16 + 1) + (16 + 2));
            assertThat(raw.inner()).extracting(GoimClient.Received::text).containsExactly("x", "yy");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void batchesOfEverySizeArriveIntact(Transport t) {
        String room = "live://sizes-" + t;
        try (GoimClient c = h.client(t)) {
            c.auth(auth(1, "sizes-" + t, room));
            // Small, medium and large (WebSocket length encodings of 7, 16 and 64 bits).
            for (int size : new int[] {1, 500, 40_000}) {
                RoomMessage[] batch = new RoomMessage[2];
                for (int i = 0; i < batch.length; i++) {
                    batch[i] = message(1000 + i, String.valueOf((char) ('a' + i)).repeat(size));
                }
                h.pushRoom(room, batch);
                List<GoimClient.Received> frames = c.expectPushes(2);
                assertThat(frames.get(0).text()).hasSize(size).containsOnlyOnce("a".repeat(size));
                assertThat(frames.get(1).op()).isEqualTo(1001);
                assertThat(frames.get(1).text()).isEqualTo("b".repeat(size));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void broadcastIsFilteredByAccepts(Transport t) {
        try (GoimClient a = h.client(t); GoimClient b = h.client(t)) {
            a.auth(auth(1, "bc-a-" + t, "", 2000));
            b.auth(auth(2, "bc-b-" + t, "", 2001));
            broadcast(2001, "for b");
            broadcast(2000, "for a");
            broadcast(2001, "for b again");
            assertThat(a.expectPush().text()).isEqualTo("for a");
            assertThat(b.expectPush().text()).isEqualTo("for b");
            assertThat(b.expectPush().text()).isEqualTo("for b again");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void changeRoomMovesTheConnection(Transport t) {
        String from = "live://from-" + t;
        String to = "live://to-" + t;
        try (GoimClient c = h.client(t)) {
            c.auth(auth(1, "room-" + t, from));
            c.send(12, 9, to);
            GoimClient.Received reply = c.expect(13);
            assertThat(reply.seq()).isEqualTo(9);
            assertThat(reply.text()).isEqualTo(to);
            h.pushRoom(from, message(1000, "old room"));
            h.pushRoom(to, message(1000, "new room"));
            assertThat(c.expectPush().text()).isEqualTo("new room");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void subAndUnsubChangeAcceptedOperations(Transport t) {
        String key = "sub-" + t;
        try (GoimClient c = h.client(t)) {
            c.auth(auth(1, key, ""));
            c.send(14, 3, "3000,3001");
            assertThat(c.expect(15).text()).isEqualTo("3000,3001");
            pushKey(key, 3001, "sub 3001");
            assertThat(c.expectPush().text()).isEqualTo("sub 3001");
            c.send(16, 4, "3001");
            assertThat(c.expect(17).text()).isEqualTo("3001");
            pushKey(key, 3001, "unsubscribed");
            pushKey(key, 3000, "still 3000");
            assertThat(c.expectPush().text()).isEqualTo("still 3000");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void sendMsgGoesToLogicReceiveAndIsAcknowledged(Transport t) throws Exception {
        String key = "send-" + t;
        try (GoimClient c = h.client(t)) {
            c.auth(auth(77, key, "live://x"));
            c.send(4, 5, "hello upstream");
            GoimClient.Received reply = c.expect(5);
            assertThat(reply.seq()).isEqualTo(5);
            ReceiveReq got = null;
            for (ReceiveReq r; (r = h.logic.received.poll(20, TimeUnit.SECONDS)) != null; ) {
                if (r.getKey().equals(key)) {
                    got = r;
                    break;
                }
            }
            assertThat(got).isNotNull();
            assertThat(got.getMid()).isEqualTo(77);
            assertThat(got.getProto().getOp()).isEqualTo(4);
            assertThat(got.getProto().getSeq()).isEqualTo(5);
            assertThat(got.getProto().getBody().toStringUtf8()).isEqualTo("hello upstream");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void refusedAuthClosesTheConnection(Transport t) {
        double before = h.counter("imcluster.comet.auth.failures", "reason", "unauthenticated");
        try (GoimClient c = h.client(t)) {
            c.send(7, 1, "{\"mid\":1,\"token\":\"deny\"}");
            c.awaitClosed();
        }
        assertThat(h.counter("imcluster.comet.auth.failures", "reason", "unauthenticated")).isGreaterThan(before);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void disconnectIsReportedToLogic(Transport t) {
        String key = "bye-" + t;
        GoimClient c = h.client(t);
        c.auth(auth(1, key, "live://bye"));
        c.close();
        await().atMost(GoimClient.WAIT).until(() -> h.logic.disconnected.contains(key));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aRepeatedMessageIdIsDeliveredOnce(Transport t) {
        String room = "live://dedupe-" + t;
        try (GoimClient c = h.client(t)) {
            c.auth(auth(1, "dedupe-" + t, room));
            RoomMessage first = message(1000, "first");
            double hits = h.counter("imcluster.comet.dedupe.hits");
            h.pushRoom(room, first);
            h.pushRoom(room, first);
            h.pushRoom(room, message(1000, "second"));
            assertThat(c.expectPush().text()).isEqualTo("first");
            assertThat(c.expectPush().text()).isEqualTo("second");
            assertThat(h.counter("imcluster.comet.dedupe.hits")).isEqualTo(hits + 1);
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aSecondConnectionWithTheSameKeyReplacesTheFirst(Transport t) {
        String key = "dup-" + t;
        try (GoimClient first = h.client(t); GoimClient second = h.client(t)) {
            first.auth(auth(1, key, ""));
            second.auth(auth(1, key, "", 1000));
            first.awaitClosed();
            pushKey(key, 1000, "to the second");
            assertThat(second.expectPush().text()).isEqualTo("to the second");
            assertThat(h.logic.disconnected).as("logic keeps the key of the live connection").doesNotContain(key);
        }
    }

    @Test
    void metricsAreRegistered() {
        try (GoimClient c = h.client(Transport.TCP)) {
            c.auth(auth(1, "metrics", "live://metrics"));
            await().atMost(GoimClient.WAIT).untilAsserted(() ->
                    assertThat(h.gauge("imcluster.comet.connections", "transport", "tcp")).isGreaterThanOrEqualTo(1));
            h.pushRoom("live://metrics", message(1000, "m"));
            c.expectPush();
            assertThat(h.gauge("imcluster.comet.rooms")).isGreaterThanOrEqualTo(1);
            assertThat(h.counter("imcluster.comet.messages.in", "kind", "room")).isPositive();
            assertThat(h.counter("imcluster.comet.messages.out", "transport", "tcp")).isPositive();
            assertThat(h.counter("imcluster.comet.batches")).isPositive();
            assertThat(h.meters.find("imcluster.comet.delivery.latency").timer().count()).isPositive();
            assertThat(h.meters.find("imcluster.comet.send.queue.depth").gauge()).isNotNull();
        }
    }
}
