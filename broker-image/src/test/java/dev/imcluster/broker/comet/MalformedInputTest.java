package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static dev.imcluster.broker.comet.CometHarness.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kind of broken input closes only the offending connection, is counted by reason, and leaves comet
 * serving a well-behaved client that was connected all along and one that connects afterwards.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MalformedInputTest {
    private CometHarness h;
    private GoimClient bystander;

    @BeforeAll
    void start() throws Exception {
        h = new CometHarness(c -> {
            c.comet.protocol.handshakeTimeout = Duration.ofSeconds(3);
            c.comet.protocol.maxBodySize = 4096;
        });
        bystander = h.client(Transport.TCP).auth(auth(1, "bystander", "live://bystander"));
    }

    @AfterAll
    void stop() throws Exception {
        bystander.close();
        h.close();
    }

    private static byte[] header(int packLen, int headerLen, int op) {
        return ByteBuffer.allocate(16).putInt(packLen).putShort((short) headerLen).putShort((short) 1).putInt(op)
                .putInt(1).array();
    }

    private static byte[] authFrame() {
        return GoimClient.frame(1, 7, 1, auth(9, "", "live://m").getBytes(StandardCharsets.UTF_8));
    }

    private void assertClosedFor(Transport t, String reason, byte[] bytes, boolean authFirst) {
        double before = h.counter("imcluster.comet.protocol.errors", "reason", reason);
        try (GoimClient bad = h.client(t)) {
            if (authFirst) {
                bad.auth(auth(9, "bad-" + reason + "-" + t, "live://m"));
            }
            bad.sendBytes(bytes);
            bad.awaitClosed();
        }
        await().atMost(GoimClient.WAIT).untilAsserted(() ->
                assertThat(h.counter("imcluster.comet.protocol.errors", "reason", reason)).isGreaterThan(before));
        assertServing(t);
    }

    /** The long-lived client and a new one still get heartbeats and pushes. */
    private void assertServing(Transport t) {
        assertThat(bystander.heartbeat()).isPositive();
        try (GoimClient fresh = h.client(t)) {
            fresh.auth(auth(2, "fresh-" + t, "live://bystander"));
            h.pushRoom("live://bystander", message(1000, "still serving"));
            assertThat(fresh.expectPush().text()).isEqualTo("still serving");
            assertThat(bystander.expectPush().text()).isEqualTo("still serving");
        }
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void badHeaderLength(Transport t) {
        byte[] frame = header(16 + 4, 12, 7);
        assertClosedFor(t, "header_len", concat(frame, new byte[4]), false);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void packLengthOverTheMaximum(Transport t) {
        assertClosedFor(t, "pack_len", header(16 + 4097, 16, 7), false);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void negativePackLength(Transport t) {
        assertClosedFor(t, "pack_len", header(-5, 16, 7), false);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void packLengthShorterThanTheHeader(Transport t) {
        assertClosedFor(t, "pack_len", header(3, 16, 7), false);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void aFirstFrameThatIsNotAuth(Transport t) {
        assertClosedFor(t, "not_auth", GoimClient.frame(1, 2, 1, new byte[0]), false);
        assertClosedFor(t, "not_auth", GoimClient.frame(1, 123456, 1, new byte[0]), false);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void garbageBytes(Transport t) {
        byte[] garbage = "GET / HTTP/1.1\r\nHost: nowhere\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertClosedFor(t, "header_len", garbage, false);
    }

    @ParameterizedTest
    @EnumSource(Transport.class)
    void garbageAfterAuth(Transport t) {
        byte[] garbage = new byte[64];
        Arrays.fill(garbage, (byte) 0xff); // packLen -1
        assertClosedFor(t, "header_len", garbage, true);
    }

    @Test
    void halfAFrameThenSilenceBeforeAuthTimesOut() {
        byte[] auth = authFrame();
        assertClosedFor(Transport.TCP, "handshake_timeout", Arrays.copyOf(auth, auth.length / 2), false);
    }

    @Test
    void silenceAfterConnectingTimesOut() {
        double before = h.counter("imcluster.comet.protocol.errors", "reason", "handshake_timeout");
        try (GoimClient silent = h.client(Transport.WEBSOCKET)) {
            silent.awaitClosed();
        }
        assertThat(h.counter("imcluster.comet.protocol.errors", "reason", "handshake_timeout")).isGreaterThan(before);
        assertServing(Transport.WEBSOCKET);
    }

    @Test
    void halfAFrameThenSilenceAfterAuthHitsTheHeartbeatTimeout() {
        double before = h.counter("imcluster.comet.protocol.errors", "reason", "heartbeat_timeout");
        try (GoimClient c = h.client(Transport.TCP)) {
            // logic grants this session a 2 s heartbeat.
            c.send(7, 1, "{\"mid\":3,\"key\":\"short-hb\",\"room_id\":\"live://m\",\"heartbeat\":2}");
            c.expect(8);
            byte[] hb = GoimClient.frame(1, 2, 1, new byte[0]);
            c.sendBytes(Arrays.copyOf(hb, 10));
            c.awaitClosed();
        }
        assertThat(h.counter("imcluster.comet.protocol.errors", "reason", "heartbeat_timeout")).isGreaterThan(before);
        assertServing(Transport.TCP);
    }

    @Test
    void aWebSocketMessageShorterThanAHeader() {
        assertClosedFor(Transport.WEBSOCKET, "short_frame", new byte[] {0, 0, 0, 16, 0, 16}, false);
    }

    @Test
    void aWebSocketMessageWhosePackLengthDiffersFromItsSize() {
        byte[] two = concat(GoimClient.frame(1, 7, 1, new byte[0]), GoimClient.frame(1, 2, 1, new byte[0]));
        assertClosedFor(Transport.WEBSOCKET, "pack_len", two, false);
    }

    @Test
    void aWebSocketTextMessage() {
        double before = h.counter("imcluster.comet.protocol.errors", "reason", "websocket");
        try (GoimClient.Ws c = (GoimClient.Ws) h.client(Transport.WEBSOCKET)) {
            c.sendText("{\"mid\":1}");
            c.awaitClosed();
        }
        assertThat(h.counter("imcluster.comet.protocol.errors", "reason", "websocket")).isGreaterThan(before);
        assertServing(Transport.WEBSOCKET);
    }

    @Test
    void aWebSocketMessageOverTheMaximum() {
        byte[] big = GoimClient.frame(1, 7, 1, new byte[8000]);
        assertClosedFor(Transport.WEBSOCKET, "websocket", big, false);
    }

    @Test
    void plainHttpToAnotherPathGetsNotFound() throws Exception {
        var client = java.net.http.HttpClient.newHttpClient();
        var response = client.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + h.comet.websocketPort() + "/other")).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        assertThat(response.statusCode()).isEqualTo(404);
        assertServing(Transport.WEBSOCKET);
    }

    @Test
    void plainHttpToTheWebSocketPathIsRefused() throws Exception {
        var client = java.net.http.HttpClient.newHttpClient();
        var response = client.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + h.comet.websocketPort() + "/sub")).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        assertThat(response.statusCode()).isBetween(400, 499);
        assertServing(Transport.WEBSOCKET);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
