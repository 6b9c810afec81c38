package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static dev.imcluster.broker.comet.CometHarness.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Feeds comet well over 100,000 random, valid-but-odd and mutated frames over many short connections (TCP and
 * WebSocket, before and after auth), then checks that it still serves a well-behaved client and leaked no
 * connection.
 */
class FuzzTest {
    private static final int TARGET_FRAMES = 100_000;
    private static final String[] ROOMS = {"live://f1", "live://f2", "live://f3", "", "x"};

    @Test
    @Timeout(300)
    void survivesRandomAndMutatedFramesThenServesAWellBehavedClient() throws Exception {
        long seed = dev.imcluster.broker.testing.RawHttp.seed("imcluster.fuzz.seed", 20261122L, "FuzzTest");
        try (CometHarness h = new CometHarness(c -> c.comet.protocol.handshakeTimeout = Duration.ofSeconds(5))) {
            AtomicLong sent = new AtomicLong();
            AtomicLong connections = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                Random rnd = new Random(seed + w);
                boolean websocket = w == 3;
                workers.add(pool.submit(() -> {
                    while (sent.get() < TARGET_FRAMES) {
                        connections.incrementAndGet();
                        if (websocket) {
                            fuzzWebSocket(h, rnd, sent);
                        } else {
                            fuzzTcp(h, rnd, sent);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : workers) {
                f.get();
            }
            pool.shutdown();
            System.out.println("FuzzTest sent " + sent.get() + " frames over " + connections.get() + " connections");
            assertThat(sent.get()).isGreaterThanOrEqualTo(TARGET_FRAMES);
            assertThat(h.meters.find("imcluster.comet.protocol.errors").counters())
                    .as("the fuzz hit protocol errors").isNotEmpty();

            // Every fuzz connection is gone (none leaked), and a well-behaved client works on both transports.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(h.gauge("imcluster.comet.connections", "transport", "tcp")).isZero();
                assertThat(h.gauge("imcluster.comet.connections", "transport", "websocket")).isZero();
            });
            for (Transport t : Transport.values()) {
                try (GoimClient good = h.client(t)) {
                    good.auth(auth(1, "good-" + t, "live://good-" + t, 1000));
                    assertThat(good.heartbeat()).isEqualTo(1);
                    h.pushRoom("live://good-" + t, message(1000, "after the fuzz"));
                    assertThat(good.expectPush().text()).isEqualTo("after the fuzz");
                }
            }
            // A closed client's queued frames are released on its event loop, just after the close.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(h.gauge("imcluster.comet.send.queue.depth")).isZero());
        }
    }

    /** One fuzz connection over TCP: a random number of frames, mostly valid after a real auth. */
    private static void fuzzTcp(CometHarness h, Random rnd, AtomicLong sent) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", h.comet.tcpPort()), 10_000);
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            boolean authed = rnd.nextInt(10) < 8;
            if (authed) {
                out.write(GoimClient.frame(1, 7, 1, auth(rnd.nextInt(1000), "", ROOMS[rnd.nextInt(3)], 1000)
                        .getBytes(StandardCharsets.UTF_8)));
                out.flush();
                new DataInputStream(in).readFully(new byte[16]); // the Auth reply
            }
            Thread drain = new Thread(() -> discard(in), "fuzz-drain");
            drain.setDaemon(true);
            drain.start();
            int frames = 1 + rnd.nextInt(authed ? 3000 : 20);
            ByteArrayOutputStream chunk = new ByteArrayOutputStream();
            for (int i = 0; i < frames; i++) {
                chunk.writeBytes(randomFrame(rnd, authed));
                if (chunk.size() > 16 * 1024 || i == frames - 1) {
                    out.write(chunk.toByteArray());
                    chunk.reset();
                }
                sent.incrementAndGet();
            }
            out.flush();
        } catch (IOException e) {
            // comet closed this connection: expected for broken input
        }
    }

    /** One fuzz connection over WebSocket: each frame one binary message. */
    private static void fuzzWebSocket(CometHarness h, Random rnd, AtomicLong sent) {
        GoimClient ws;
        try {
            ws = h.client(Transport.WEBSOCKET);
        } catch (RuntimeException e) {
            return;
        }
        try (ws) {
            boolean authed = rnd.nextInt(10) < 8;
            if (authed) {
                ws.auth(auth(rnd.nextInt(1000), "", ROOMS[rnd.nextInt(3)], 1000));
            }
            int frames = 1 + rnd.nextInt(authed ? 500 : 10);
            for (int i = 0; i < frames && !ws.closed; i++) {
                ws.sendBytes(randomFrame(rnd, authed));
                ws.frames.clear();
                sent.incrementAndGet();
            }
        } catch (RuntimeException | AssertionError e) {
            // comet closed this connection
        }
    }

    private static byte[] randomFrame(Random rnd, boolean authed) {
        int dice = rnd.nextInt(10_000);
        if (dice < 5) {
            byte[] junk = new byte[1 + rnd.nextInt(64)];
            rnd.nextBytes(junk);
            return junk;
        }
        byte[] frame = validFrame(rnd, authed);
        if (dice < 15) {
            for (int flips = 1 + rnd.nextInt(3); flips > 0; flips--) {
                frame[rnd.nextInt(Math.min(frame.length, 16))] = (byte) rnd.nextInt(256);
            }
        }
        return frame;
    }

    private static byte[] validFrame(Random rnd, boolean authed) {
        int kind = rnd.nextInt(100);
        int op;
        byte[] body;
        if (!authed && kind < 50) {
            op = rnd.nextInt(20);
            body = randomBody(rnd);
        } else if (kind < 45) {
            op = 2;
            body = new byte[0];
        } else if (kind < 60) {
            op = 12;
            body = ROOMS[rnd.nextInt(ROOMS.length)].getBytes(StandardCharsets.UTF_8);
        } else if (kind < 80) {
            op = rnd.nextBoolean() ? 14 : 16;
            body = (rnd.nextBoolean() ? (1000 + rnd.nextInt(5)) + "," + (1000 + rnd.nextInt(5)) : "a,b")
                    .getBytes(StandardCharsets.UTF_8);
        } else if (kind < 90) {
            op = 4;
            body = randomBody(rnd);
        } else {
            op = rnd.nextInt();
            body = randomBody(rnd);
        }
        return GoimClient.frame(rnd.nextInt(4), op, rnd.nextInt(), body);
    }

    private static byte[] randomBody(Random rnd) {
        byte[] body = new byte[rnd.nextInt(rnd.nextInt(10) == 0 ? 4096 : 64)];
        rnd.nextBytes(body);
        return body;
    }

    private static void discard(InputStream in) {
        byte[] buf = new byte[8192];
        try {
            while (in.read(buf) >= 0) {
                // replies are not checked here
            }
        } catch (IOException e) {
            // closed
        }
    }
}
