package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static dev.imcluster.broker.comet.CometHarness.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A goim client that stops reading is disconnected, not buffered for; comet's shutdown closes its clients. */
class SlowConsumerAndShutdownTest {

    @Test
    void aClientThatStopsReadingIsDisconnectedAndOthersKeepReceiving() throws Exception {
        try (CometHarness h = new CometHarness(c -> c.comet.protocol.sendQueueSize = 64)) {
            String room = "live://slow";
            GoimClient.Tcp stalled = new GoimClient.Tcp(h.comet.tcpPort(), 4096);
            try (GoimClient reader = h.client(Transport.TCP)) {
                // Authenticate by hand: the stalled client never starts its reader.
                stalled.sendBytes(GoimClient.frame(1, 7, 1,
                        auth(1, "stalled", room).getBytes(StandardCharsets.UTF_8)));
                reader.auth(auth(2, "reader", room));
                await().atMost(GoimClient.WAIT).untilAsserted(() -> assertThat(reader.heartbeat()).isEqualTo(2));

                String body = "y".repeat(4000);
                int pushed = 0;
                while (h.counter("imcluster.comet.disconnects", "reason", "slow_consumer") == 0) {
                    assertThat(pushed).as("the stalled client was disconnected").isLessThan(200_000);
                    RoomMessage[] batch = new RoomMessage[10];
                    for (int i = 0; i < batch.length; i++) {
                        batch[i] = message(1000, ++pushed + ":" + body);
                    }
                    h.pushRoom(room, batch);
                    for (GoimClient.Received r : reader.expectPushes(batch.length)) {
                        assertThat(r.text()).endsWith(body);
                    }
                }
                assertThat(h.counter("imcluster.comet.drops", "reason", "slow_consumer")
                        + h.counter("imcluster.comet.drops", "reason", "closed")).isPositive();
                await().atMost(GoimClient.WAIT).until(() -> h.logic.disconnected.contains("stalled"));
                // The reader is unaffected.
                h.pushRoom(room, message(1000, "after"));
                assertThat(reader.expectPush().text()).isEqualTo("after");
                await().atMost(GoimClient.WAIT).untilAsserted(() -> assertThat(reader.heartbeat()).isEqualTo(1));
            } finally {
                stalled.close();
            }
        }
    }

    @Test
    void closingShutsDownClientsAndSubscribers() throws Exception {
        CometHarness h = new CometHarness(c -> c.comet.drainTimeout = Duration.ofSeconds(10));
        try {
            GoimClient tcp = h.client(Transport.TCP).auth(auth(1, "drain-tcp", "live://drain"));
            GoimClient ws = h.client(Transport.WEBSOCKET).auth(auth(2, "drain-ws", "live://drain"));
            SubscribeStream sub = new SubscribeStream();
            h.pubsubAsync.subscribe(SubscribeRequest.newBuilder().setTopic("live://drain").build(), sub);
            await().atMost(GoimClient.WAIT).until(() -> h.gauge("imcluster.comet.topic.subscribers") == 1);

            h.comet.close();

            tcp.awaitClosed();
            ws.awaitClosed();
            assertThat(sub.end.get(20, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(h.logic.disconnected).contains("drain-tcp", "drain-ws");
            assertThat(h.health.evaluate()).doesNotContainKey("comet");
            assertThat(h.counter("imcluster.comet.disconnects", "reason", "drain")).isEqualTo(2);
        } finally {
            h.close();
        }
    }

    @Test
    void aLameDuckClosesItsClientsSpreadOverTheWindow() throws Exception {
        CometHarness h = new CometHarness(c -> {
            c.comet.reconnectSpread = Duration.ofSeconds(3);
            c.comet.reconnectSpreadAbove = 0;
        });
        try {
            java.util.List<GoimClient> clients = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                clients.add(h.client(Transport.TCP).auth(auth(10 + i, "spread-" + i, "live://spread")));
            }
            long start = System.nanoTime();
            Thread closer = new Thread(h.comet::close);
            closer.start();
            // Three waves 1 s apart: the first client goes at once, the last only after both pauses.
            await().atMost(GoimClient.WAIT).until(() -> clients.stream().allMatch(c -> c.closed));
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(1900));
            closer.join();
            assertThat(h.counter("imcluster.comet.disconnects", "reason", "drain")).isEqualTo(3);
        } finally {
            h.close();
        }
    }
}
