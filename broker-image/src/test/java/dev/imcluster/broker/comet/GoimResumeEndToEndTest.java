package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.imcluster.broker.comet.GoimClient.ResumableStream;
import dev.imcluster.broker.api.pubsub.HistoryRequest;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.protocol.Op;
import dev.imcluster.broker.runtime.RoleContext;
import dev.imcluster.broker.testing.TestSupport;
import io.micrometer.core.instrument.Counter;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * imcluster's goim extension (ops 20 to 23) with logic, comet and job as separate roles over the in-memory queue:
 * a client that opts in gets a POSITION_MARK after each room batch, and RESUME with its last mark replays exactly
 * what it missed, then the live stream; a client that does not opt in sees goim's frames, byte for byte.
 * Every guarantee is asserted message by message, on TCP and on WebSocket.
 */
class GoimResumeEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private InProcessCluster cluster;
    private RoleContext cometContext;
    private String push;

    private static BrokerConfig config() {
        BrokerConfig config = TestSupport.loopbackConfig();
        config.delivery.history = List.of(TestSupport.historyPolicy("live://*", 1000),
                TestSupport.historyPolicy("tiny://*", 10));
        return config;
    }

    @BeforeEach
    void startCluster() throws Exception {
        cluster = InProcessCluster.builder(GoimResumeEndToEndTest::config).start();
        cometContext = cluster.cometContext(0);
        push = cluster.pushUrl();
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private GoimClient connect(Transport transport, String room) {
        return cluster.goim(transport, cluster.comet(0), auth(1, "key-" + System.nanoTime(), room, 1000));
    }

    private void publish(String room, int operation, String payload) throws Exception {
        String[] parts = room.split("://", 2);
        HttpResponse<String> r = TestSupport.post(push + "/goim/push/room?operation=" + operation + "&type="
                + parts[0] + "&room=" + URLEncoder.encode(parts[1], StandardCharsets.UTF_8), payload);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).get("code").asInt()).as(r.body()).isZero();
    }

    private static int operationOf(int i) {
        return 1000 + i % 3;
    }

    /** Publishes probes until one reaches the client, then "ready"; takes everything up to ready's mark. */
    private void awaitInRoom(ResumableStream s, String room) throws Exception {
        await().atMost(WAIT).until(() -> {
            publish(room, 1000, "probe");
            return !s.client().frames.isEmpty();
        });
        publish(room, 1000, "ready");
        s.takeThrough("ready");
    }

    /**
     * Reads these messages in order (payload and operation), each batch followed by its mark (checked by the
     * stream: of this room, growing); returns the last mark.
     */
    private static JsonNode expectMessages(ResumableStream s, List<String> payloads, List<Integer> operations) {
        int from = s.messages.size();
        s.takeUntil(from + payloads.size());
        List<GoimClient.Received> got = s.messages.subList(from, s.messages.size());
        assertThat(got).extracting(GoimClient.Received::text).containsExactlyElementsOf(payloads);
        assertThat(got).extracting(GoimClient.Received::op).as("operations").containsExactlyElementsOf(operations);
        return s.lastMark();
    }

    // ---- the guarantees ----

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aResumingClientGetsExactlyWhatItMissedInOrderThenTheLiveStream(Transport transport) throws Exception {
        String room = "live://resume-" + transport;
        GoimClient first = connect(transport, room).positions();
        ResumableStream stream = new ResumableStream(room, first);
        awaitInRoom(stream, room);
        List<String> before = new ArrayList<>();
        List<Integer> beforeOps = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            before.add("before-" + i);
            beforeOps.add(operationOf(i));
            publish(room, operationOf(i), "before-" + i);
        }
        JsonNode last = expectMessages(stream, before, beforeOps);
        first.close();

        List<String> expected = new ArrayList<>();
        List<Integer> expectedOps = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            expected.add("missed-" + i);
            expectedOps.add(operationOf(i));
            publish(room, operationOf(i), "missed-" + i);
        }
        // job appends to history as it consumes, after the push was accepted: wait until all 320 are retained, so
        // that the replay has to hold the 300 missed ones (otherwise the last few would come live, also in order).
        PubSubServiceGrpc.PubSubServiceBlockingStub pubsub =
                PubSubServiceGrpc.newBlockingStub(cluster.channel(cluster.comet(0).pubsubGrpcPort()));
        await().atMost(WAIT).until(() -> pubsub.history(HistoryRequest.newBuilder().setTopic(room).build())
                .getMessagesCount() >= before.size() + 300);
        GoimClient again = connect(transport, ""); // no room at Auth: RESUME joins it
        stream.resumeOn(again, 5);
        // Published while the recovery runs: they must follow the replay, none twice, none lost.
        for (int i = 0; i < 50; i++) {
            expected.add("live-" + i);
            expectedOps.add(operationOf(i + 1));
            publish(room, operationOf(i + 1), "live-" + i);
        }
        GoimClient.Received reply = stream.take();
        assertThat(reply.op()).isEqualTo(Op.RESUME_REPLY);
        assertThat(reply.seq()).isEqualTo(5);
        JsonNode outcome = reply.json();
        assertThat(outcome.get("recovered").asBoolean()).as(reply.text()).isTrue();
        assertThat(outcome.get("replayed").asInt()).isBetween(300, 350);
        assertThat(outcome.get("epoch").asText()).isEqualTo(last.get("epoch").asText());
        JsonNode end = expectMessages(stream, expected, expectedOps);
        assertThat(again.quiet()).as("nothing after the last message's mark").isTrue();

        // The last mark is a position to resume from too: nothing missed, nothing replayed.
        GoimClient third = connect(transport, "");
        stream.resumeOn(third, 6);
        JsonNode none = stream.take().json();
        assertThat(none.get("recovered").asBoolean()).isTrue();
        assertThat(none.get("replayed").asInt()).isZero();
        publish(room, 1000, "after");
        expectMessages(stream, List.of("after"), List.of(1000));
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aPositionOlderThanHistoryIsToldAndTheLiveStreamFollows(Transport transport) throws Exception {
        String room = "tiny://old-" + transport;
        GoimClient first = connect(transport, room).positions();
        ResumableStream stream = new ResumableStream(room, first);
        awaitInRoom(stream, room);
        publish(room, 1000, "seen");
        JsonNode last = expectMessages(stream, List.of("seen"), List.of(1000));
        first.close();
        for (int i = 0; i < 30; i++) {
            publish(room, 1000, "gone-" + i);
        }
        GoimClient again = connect(transport, "");
        stream.resumeOn(again, 9);
        GoimClient.Received reply = stream.take();
        assertThat(reply.op()).isEqualTo(Op.RESUME_REPLY);
        JsonNode outcome = reply.json();
        assertThat(outcome.get("recovered").asBoolean()).isFalse();
        assertThat(outcome.get("reason").asText()).isEqualTo("position older than history");
        assertThat(outcome.get("replayed").asInt()).isZero();
        assertThat(outcome.get("epoch").asText()).isEqualTo(last.get("epoch").asText());
        long latest = Long.parseUnsignedLong(outcome.get("offset").asText());
        assertThat(latest).isGreaterThan(Long.parseUnsignedLong(last.get("offset").asText()));
        // Not recovered: the live stream from the join on, in order (the last gone-* may still have been in
        // flight when the client joined), each batch with its mark.
        publish(room, 1001, "after");
        int nextGone = 0;
        for (GoimClient.Received e = again.nextUnwrapped(); !"after".equals(e.text()); e = again.nextUnwrapped()) {
            if (e.op() != Op.POSITION_MARK) {
                assertThat(e.text()).startsWith("gone-");
                int n = Integer.parseInt(e.text().substring("gone-".length()));
                assertThat(n).isGreaterThanOrEqualTo(nextGone);
                nextGone = n + 1;
            }
        }
        assertThat(again.nextUnwrapped().op()).as("the mark after the last batch").isEqualTo(Op.POSITION_MARK);
        assertThat(again.quiet()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aClientThatNeverOptsInGetsGoimsFramesByteForByte(Transport transport) throws Exception {
        String room = "live://plain-" + transport;
        GoimClient markedClient = connect(transport, room).positions(); // so that the room's batches have marks
        ResumableStream marked = new ResumableStream(room, markedClient);
        GoimClient plain = connect(transport, room);
        awaitInRoom(marked, room);
        await().atMost(WAIT).until(() -> plain.frames.stream().flatMap(f -> f.op() == Op.RAW
                ? f.inner().stream() : java.util.stream.Stream.of(f)).anyMatch(f -> f.text().equals("ready")));
        plain.frames.clear();

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        List<String> payloads = new ArrayList<>();
        List<Integer> ops = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            payloads.add("plain-" + i);
            ops.add(operationOf(i));
            publish(room, operationOf(i), "plain-" + i);
            expected.writeBytes(GoimClient.frame(1, operationOf(i), 0, ("plain-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        expectMessages(marked, payloads, ops);

        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < expected.size()) {
            GoimClient.Received r = plain.next();
            if (transport == Transport.WEBSOCKET) {
                // goim's Raw frame: header (ver 1, op 9, seq 0) and the whole frames, nothing else.
                assertThat(r.op()).isEqualTo(Op.RAW);
                assertThat(r.headerLen()).isEqualTo(16);
                assertThat(r.ver()).isEqualTo(1);
                assertThat(r.seq()).isZero();
                assertThat(r.packLen()).isEqualTo(16 + r.body().length);
                got.writeBytes(r.body());
            } else {
                got.writeBytes(GoimClient.frame(r.ver(), r.op(), r.seq(), r.body()));
            }
        }
        assertThat(got.toByteArray()).isEqualTo(expected.toByteArray());
        plain.send(Op.HEARTBEAT, 77, "");
        GoimClient.Received next = plain.next();
        assertThat(next.op()).as("no mark, nothing but the heartbeat reply").isEqualTo(Op.HEARTBEAT_REPLY);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aMalformedResumeClosesThatConnectionAlone(Transport transport) throws Exception {
        String room = "live://bad-" + transport;
        ResumableStream bystander = new ResumableStream(room, connect(transport, room).positions());
        awaitInRoom(bystander, room);
        List<String> bodies = List.of("not json", "[1]", "{\"room\":\"live://x\",\"offset\":1}",
                "{\"room\":\"\",\"offset\":1,\"epoch\":\"memory:x\"}",
                "{\"room\":\"live://x\",\"offset\":-1,\"epoch\":\"memory:x\"}",
                "{\"room\":\"live://x\",\"offset\":1.5,\"epoch\":\"memory:x\"}");
        for (String body : bodies) {
            GoimClient bad = connect(transport, room);
            bad.send(Op.RESUME, 1, body);
            bad.awaitClosed();
        }
        Counter errors = cometContext.meters().find("imcluster.comet.protocol.errors").tag("reason", "bad_resume")
                .counter();
        assertThat(errors).isNotNull();
        assertThat(errors.count()).isEqualTo(bodies.size());
        await().atMost(WAIT).until(() -> {
            Counter closed = cometContext.meters().find("imcluster.comet.disconnects").tag("reason", "protocol_error")
                    .counter();
            return closed != null && closed.count() == bodies.size();
        });
        publish(room, 1000, "still here");
        expectMessages(bystander, List.of("still here"), List.of(1000));
    }
}
