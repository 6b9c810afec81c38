package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static dev.imcluster.broker.comet.CometHarness.message;
import static dev.imcluster.broker.testing.RawHttp.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.imcluster.broker.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes comet's WebSocket listener with upgrade requests: bad methods, versions and upgrade headers, huge and
 * numerous headers, long URIs, garbage, broken header lines, bodies, partial requests left hanging and requests
 * trickled byte by byte, and a good upgrade followed by garbage. Every connection must end within a bound (an
 * answer and a close, or 101 for an acceptable upgrade), a request that must be refused is never upgraded, the
 * refusals are counted, and two clients connected throughout (TCP and WebSocket) keep working. The seed is fixed
 * and printed; {@code -Dimcluster.fuzz.seed=N} replays another.
 */
class WebSocketUpgradeFuzzTest {
    private static final int CONNECTIONS = 600;
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(2);
    /** Longer than the handshake timeout plus a busy machine's delays: a connection alive after this hangs. */
    private static final Duration BOUND = Duration.ofSeconds(20);

    enum Kind {
        VALID(true), METHOD(false), VERSION(true), NO_KEY(false), EMPTY_KEY(true), BAD_WS_VERSION(false),
        NO_UPGRADE(false),
        HUGE_HEADER(false), MANY_HEADERS(false), LONG_URI(false), GARBAGE(false), BAD_LINES(true), BODY(true),
        PARTIAL(false), TRICKLE(false), UPGRADE_THEN_GARBAGE(true);

        /** Whether a 101 is acceptable (the request is valid, or a lenient parser may take it). */
        final boolean mayUpgrade;

        Kind(boolean mayUpgrade) {
            this.mayUpgrade = mayUpgrade;
        }
    }

    @Test
    @Timeout(600)
    void badUpgradeRequestsAreRefusedAndClosedWhileConnectedClientsKeepWorking() throws Exception {
        long seed = RawHttp.seed("imcluster.fuzz.seed", 20261122L, "WebSocketUpgradeFuzzTest");
        try (CometHarness h = new CometHarness(c -> c.comet.protocol.handshakeTimeout = HANDSHAKE_TIMEOUT);
             GoimClient ws = h.client(Transport.WEBSOCKET);
             GoimClient tcp = h.client(Transport.TCP)) {
            ws.auth(auth(1, "bystander-ws", "live://by", 1000));
            tcp.auth(auth(2, "bystander-tcp", "live://by", 1000));
            double errorsBefore = protocolErrors(h);
            Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
            List<String> failures = new CopyOnWriteArrayList<>();
            AtomicInteger done = new AtomicInteger();
            int port = h.comet.websocketPort();
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                Random rnd = new Random(seed + w);
                int worker = w;
                workers.add(pool.submit(() -> {
                    for (int i = 0; i < CONNECTIONS / 4; i++) {
                        Kind kind = Kind.values()[rnd.nextInt(Kind.values().length)];
                        if ((kind == Kind.PARTIAL || kind == Kind.TRICKLE) && rnd.nextInt(4) != 0) {
                            kind = Kind.GARBAGE; // the slow kinds take a handshake timeout each: fewer of them
                        }
                        String where = "worker " + worker + " connection " + i + " (" + kind + ")";
                        String outcome = exchange(port, kind, rnd, where, failures);
                        outcomes.computeIfAbsent(kind + " -> " + outcome, k -> new AtomicInteger()).incrementAndGet();
                        done.incrementAndGet();
                    }
                    return null;
                }));
            }
            // Other connections are unaffected while the fuzz runs.
            while (workers.stream().anyMatch(f -> !f.isDone())) {
                assertThat(ws.heartbeat()).isEqualTo(2);
                assertThat(tcp.heartbeat()).isEqualTo(2);
                Thread.sleep(200); // pacing the bystanders' heartbeats, not waiting for a condition
            }
            for (Future<?> f : workers) {
                f.get();
            }
            pool.shutdown();
            new TreeMap<>(outcomes).forEach((k, v) -> System.out.println("  " + k + ": " + v));
            System.out.println("WebSocketUpgradeFuzzTest: " + done.get() + " connections, protocol errors counted "
                    + (protocolErrors(h) - errorsBefore));
            assertThat(failures).as("connections that hung or were wrongly upgraded (seed %d)", seed).isEmpty();
            assertThat(done.get()).isEqualTo(CONNECTIONS);
            assertThat(protocolErrors(h) - errorsBefore).as("refusals counted").isPositive();

            // No fuzz connection left behind; the bystanders and a new client are served.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(h.gauge("imcluster.comet.connections", "transport", "websocket")).isEqualTo(1);
                assertThat(h.gauge("imcluster.comet.connections", "transport", "tcp")).isEqualTo(1);
            });
            try (GoimClient fresh = h.client(Transport.WEBSOCKET)) {
                fresh.auth(auth(3, "fresh", "live://by", 1000));
                h.pushRoom("live://by", message(1000, "after the upgrade fuzz"));
                for (GoimClient c : List.of(ws, tcp, fresh)) {
                    assertThat(c.expectPush().text()).isEqualTo("after the upgrade fuzz");
                }
            }
        }
    }

    private static double protocolErrors(CometHarness h) {
        return h.meters.find("imcluster.comet.protocol.errors").counters().stream().mapToDouble(c -> c.count()).sum();
    }

    /** One fuzz connection; returns a short label of what happened, and adds to failures what must not. */
    private static String exchange(int port, Kind kind, Random rnd, String where, List<String> failures)
            throws Exception {
        try (RawHttp raw = new RawHttp(port)) {
            byte[] request = request(kind, rnd);
            if (kind == Kind.PARTIAL) {
                raw.send(java.util.Arrays.copyOf(request, 1 + rnd.nextInt(request.length - 1)));
            } else if (kind == Kind.TRICKLE) {
                for (int i = 0; i < request.length && raw.send(new byte[] {request[i]}); i++) {
                    Thread.sleep(50); // slower than the handshake timeout allows for the whole request
                }
            } else {
                raw.send(request);
            }
            RawHttp.Outcome o = raw.response(BOUND);
            if (o.hung()) {
                failures.add(where + ": neither answered nor closed within " + BOUND);
                return "hung";
            }
            if (o.status() == 101) {
                if (!kind.mayUpgrade) {
                    failures.add(where + ": upgraded a request that must be refused");
                }
                if (kind == Kind.UPGRADE_THEN_GARBAGE) {
                    raw.send(RawHttp.garbage(rnd, 64));
                    if (!raw.awaitClose(BOUND)) {
                        failures.add(where + ": garbage after the upgrade did not close the connection");
                    }
                }
                return "101";
            }
            if (!o.closed() && !raw.awaitClose(BOUND)) {
                failures.add(where + ": answered " + o.status() + " but not closed within " + BOUND);
            }
            return o.answered() ? o.status() + " and closed" : "closed";
        }
    }

    private static byte[] request(Kind kind, Random rnd) {
        String method = "GET";
        String uri = "/sub";
        String version = "HTTP/1.1";
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        headers.put("Host", "127.0.0.1");
        headers.put("Upgrade", "websocket");
        headers.put("Connection", "Upgrade");
        byte[] key = new byte[16];
        rnd.nextBytes(key);
        headers.put("Sec-WebSocket-Key", Base64.getEncoder().encodeToString(key));
        headers.put("Sec-WebSocket-Version", "13");
        String extra = "";
        byte[] body = new byte[0];
        switch (kind) {
            case METHOD -> method = pick(rnd, "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "XYZZY",
                    "G\u0001T", "GETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGETGET");
            case VERSION -> version = pick(rnd, "HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "HTTX/1.1", "HTTP/", "",
                    "HTTP/1.1.1", "HTTP/-1.1", "HTTP/1.1 extra");
            case NO_KEY -> headers.remove("Sec-WebSocket-Key");
            case EMPTY_KEY -> headers.put("Sec-WebSocket-Key", pick(rnd, "", " ", "not-base64!"));
            case BAD_WS_VERSION -> {
                if (rnd.nextBoolean()) {
                    headers.remove("Sec-WebSocket-Version");
                } else {
                    headers.put("Sec-WebSocket-Version", pick(rnd, "8", "7", "99", "abc", "-13", "13, 8"));
                }
            }
            case NO_UPGRADE -> {
                if (rnd.nextBoolean()) {
                    headers.remove("Upgrade");
                } else {
                    headers.put("Upgrade", pick(rnd, "h2c", "", "websocketx", "TLS/1.0"));
                }
                headers.put("Connection", pick(rnd, "close", "keep-alive", "", "Upgrade"));
            }
            case HUGE_HEADER -> headers.put("X-Huge", "h".repeat(9_000 + rnd.nextInt(60_000)));
            case MANY_HEADERS -> {
                for (int i = 0, n = 1500 + rnd.nextInt(100_000); i < n; i++) { // 20 KB to 2 MB of headers
                    headers.put("X-Many-" + i, Integer.toString(i));
                }
            }
            case LONG_URI -> uri = "/sub?" + "u".repeat(5_000 + rnd.nextInt(20_000));
            case GARBAGE -> {
                return RawHttp.garbage(rnd, 2048);
            }
            case BAD_LINES -> extra = pick(rnd, "NoColonHere\r\n", "Bad\u0000Name: v\r\n", ": empty-name\r\n",
                    " folded: line\r\n", "X-Bare-LF: v\nX-Next: v\r\n", "X-Ctl: \u0007\u0008\r\n");
            case BODY -> {
                body = RawHttp.garbage(rnd, 512);
                headers.put("Content-Length", pick(rnd, Integer.toString(body.length),
                        Integer.toString(body.length + 100), "100000", "-1", "abc"));
            }
            default -> {
                // VALID, PARTIAL, TRICKLE, UPGRADE_THEN_GARBAGE: a good request (cut or slowed by the caller)
            }
        }
        StringBuilder sb = new StringBuilder(method).append(' ').append(uri).append(' ').append(version)
                .append("\r\n");
        headers.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
        sb.append(extra).append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii(sb.toString()));
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static String pick(Random rnd, String... options) {
        return options[rnd.nextInt(options.length)];
    }
}
