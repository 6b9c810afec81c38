package dev.imcluster.broker.logic;

import static dev.imcluster.broker.testing.RawHttp.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.http.HttpServer;
import dev.imcluster.broker.mq.memory.InMemoryBus;
import dev.imcluster.broker.runtime.RoleContext;
import dev.imcluster.broker.testing.RawHttp;
import dev.imcluster.broker.testing.TestSupport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes logic's HTTP push API over raw sockets: bad methods, paths, query parameters, bodies, Content-Lengths,
 * chunked encodings, versions, huge headers and URIs, garbage; and slow clients (a request left half-sent, one
 * trickled byte by byte, a body shorter than its Content-Length, an idle keep-alive connection), each of which
 * the server must close within its request timeout. Every connection ends in bounded time, a keep-alive
 * connection that got an error still serves a good request, a client pushing all along is unaffected, and the
 * refusals are counted. The seed is fixed and printed; {@code -Dimcluster.fuzz.seed=N} replays another.
 */
class PushApiFuzzTest {
    private static final int REQUESTS = 1500;
    private static final Duration BOUND = Duration.ofSeconds(20);
    /** How long a fuzz request waits for an answer before its connection goes to the waiting list. */
    private static final Duration ANSWER_WAIT = Duration.ofSeconds(3);
    /** The server's request timeout plus room for a busy machine. */
    private static final Duration SLOW_BOUND = HttpServer.DEFAULT_REQUEST_TIMEOUT.plusSeconds(30);
    private static final int MAX_MESSAGE = 1024;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final InMemoryBus bus = new InMemoryBus(new SimpleMeterRegistry());
    private final AtomicLong published = new AtomicLong();
    private LogicRole logic;
    private int port;

    @BeforeEach
    void start() throws Exception {
        BrokerConfig config = TestSupport.loopbackConfig();
        config.logic.maxMessageSize = MAX_MESSAGE;
        RoleContext ctx = new RoleContext(config, "logic-fuzz", meters, new dev.imcluster.broker.runtime.Health(),
                bus, TestSupport.sessions(), TestSupport.history());
        logic = new LogicRole(ctx);
        logic.start();
        port = logic.httpPort();
        bus.subscribe("fuzz", e -> {
            published.incrementAndGet();
            return CompletableFuture.completedFuture(null);
        });
    }

    @AfterEach
    void stop() {
        logic.close();
        bus.close();
    }

    @Test
    @Timeout(600)
    void badAndSlowRequestsAreRefusedOrClosedWhileAGoodClientKeepsPushing() throws Exception {
        long seed = RawHttp.seed("imcluster.fuzz.seed", 20261122L, "PushApiFuzzTest");
        List<String> failures = new CopyOnWriteArrayList<>();
        Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);

        // The slow clients start first and run alongside the fuzz.
        List<Future<?>> slow = new ArrayList<>();
        String good = "POST /goim/push/room?operation=1000&type=live&room=slow HTTP/1.1\r\nHost: x\r\n"
                + "Content-Length: 5\r\n\r\nhello";
        slow.add(pool.submit(() -> expectClosedBySlowTimeout("half-sent request", failures, raw ->
                raw.send(ascii(good.substring(0, 30))))));
        slow.add(pool.submit(() -> expectClosedBySlowTimeout("trickled request", failures, raw -> {
            for (int i = 0; i < good.length() && raw.send(ascii(good.substring(i, i + 1))); i++) {
                Thread.sleep(1000); // one byte a second: the request would take longer than the timeout
            }
        })));
        slow.add(pool.submit(() -> expectClosedBySlowTimeout("body shorter than Content-Length", failures, raw ->
                raw.send(ascii(good.replace("Content-Length: 5", "Content-Length: 500"))))));
        slow.add(pool.submit(() -> expectClosedBySlowTimeout("idle keep-alive connection", failures, raw -> {
            raw.send(ascii(good));
            RawHttp.Outcome o = raw.response(BOUND);
            if (o.status() != 200) {
                failures.add("idle keep-alive: the first request got " + o);
            }
        })));

        // The fuzz proper, on 4 threads; a well-behaved client pushes throughout.
        List<Future<?>> fuzz = new ArrayList<>();
        List<Waiting> waiting = new CopyOnWriteArrayList<>();
        AtomicInteger done = new AtomicInteger();
        for (int w = 0; w < 4; w++) {
            Random rnd = new Random(seed + w);
            int worker = w;
            fuzz.add(pool.submit(() -> {
                for (int i = 0; i < REQUESTS / 4; i++) {
                    Case c = randomCase(rnd);
                    String outcome = exchange(c, rnd, "worker " + worker + " request " + i + " (" + c.kind + ")",
                            failures, waiting);
                    outcomes.computeIfAbsent(c.kind + " -> " + outcome, k -> new AtomicInteger()).incrementAndGet();
                    done.incrementAndGet();
                }
                return null;
            }));
        }
        int goodPushes = 0;
        while (fuzz.stream().anyMatch(f -> !f.isDone())) {
            HttpResponse<String> r = TestSupport.post("http://127.0.0.1:" + port
                    + "/goim/push/room?operation=1000&type=live&room=good", "good-" + goodPushes);
            assertThat(r.statusCode()).as("a good push during the fuzz: %s", r.body()).isEqualTo(200);
            goodPushes++;
        }
        for (Future<?> f : fuzz) {
            f.get();
        }
        for (Future<?> f : slow) {
            f.get();
        }
        for (Waiting w : waiting) {
            long left = SLOW_BOUND.toNanos() - (System.nanoTime() - w.openedNanos());
            if (!w.raw().awaitClose(Duration.ofNanos(Math.max(1, left)))) {
                failures.add(w.where() + ": unanswered and still open after " + SLOW_BOUND);
            }
            w.raw().close();
        }
        pool.shutdown();
        new TreeMap<>(outcomes).forEach((k, v) -> System.out.println("  " + k + ": " + v));
        System.out.printf("PushApiFuzzTest: %d requests (%d left waiting for more bytes, closed by the server), "
                + "%d good pushes alongside, rejected %s%n", done.get(), waiting.size(), goodPushes, rejected());
        assertThat(failures).as("requests that hung, or keep-alive connections left unusable (seed %d)", seed)
                .isEmpty();
        assertThat(done.get()).isEqualTo(REQUESTS);
        Map<String, Double> rejected = rejected();
        assertThat(rejected.get("client_error")).as("4xx counted").isPositive();
        assertThat(rejected.get("malformed")).as("malformed requests counted").isPositive();
        assertThat(rejected.get("too_large")).as("oversized bodies counted").isPositive();
        assertThat(rejected.get("timeout")).as("slow connections counted").isGreaterThanOrEqualTo(3);
        assertThat(rejected.get("idle")).as("the idle keep-alive connection counted").isPositive();

        // Still healthy: a push is accepted and reaches the queue.
        long before = published.get();
        assertThat(TestSupport.post("http://127.0.0.1:" + port + "/goim/push/all?operation=1000", "after")
                .statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> published.get() > before);
    }

    private Map<String, Double> rejected() {
        Map<String, Double> out = new TreeMap<>();
        for (String reason : List.of("client_error", "malformed", "too_large", "timeout", "idle")) {
            Counter c = meters.find("imcluster.http.rejected").tag("server", "logic").tag("reason", reason)
                    .counter();
            out.put(reason, c == null ? 0.0 : c.count());
        }
        return out;
    }

    private interface SlowClient {
        void run(RawHttp raw) throws Exception;
    }

    private Void expectClosedBySlowTimeout(String what, List<String> failures, SlowClient client) throws Exception {
        try (RawHttp raw = new RawHttp(port)) {
            client.run(raw);
            if (!raw.awaitClose(SLOW_BOUND)) {
                failures.add(what + ": still open after " + SLOW_BOUND);
            }
        }
        return null;
    }

    enum Kind { VALID, METHOD, PATH, PARAMS, TOO_LARGE, LENGTH_LONGER_BODY, BAD_LENGTH, CHUNKED, VERSION, HUGE_HEADER,
        MANY_HEADERS, LONG_URI, GARBAGE }

    record Case(Kind kind, byte[] bytes, boolean keepAlive, boolean wellFormed) {
    }

    private static final String[] PATHS = {"/goim/push/keys", "/goim/push/mids", "/goim/push/room", "/goim/push/all",
        "/goim/online/top", "/goim/online/room", "/goim/online/total"};

    private static Case randomCase(Random rnd) {
        Kind kind = Kind.values()[rnd.nextInt(Kind.values().length)];
        boolean keepAlive = rnd.nextBoolean();
        String path = PATHS[rnd.nextInt(PATHS.length)];
        String method = path.contains("/push/") ? "POST" : "GET";
        String query = validQuery(path, rnd);
        String version = "HTTP/1.1";
        byte[] body = path.contains("/push/") ? RawHttp.garbage(rnd, 200) : new byte[0];
        String length = Integer.toString(body.length);
        String extraHeaders = "";
        boolean wellFormed = true;
        switch (kind) {
            case METHOD -> method = pick(rnd, "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "GET", "POST",
                    "BREW", "get");
            case PATH -> path = pick(rnd, "/", "/goim", "/goim/push", "/goim/push/keys/", "/goim/push/../push/all",
                    "/goim/%2e%2e/x", "/goim/push/room%00", "/goim/online/" + "x".repeat(rnd.nextInt(2000)),
                    "/%ZZ", "/goim/push/all;x=1", "//goim/push/all", "/metrics");
            case PARAMS -> query = pick(rnd, "", "operation=", "operation=abc", "operation=99999999999",
                    "operation=-1", "operation=1000&keys=", "operation=1000&mids=x", "operation=1000&mids=1&mids=abc",
                    "operation=1000&type=live", "operation=1000&room=1", "operation=1000&type=&room=",
                    "operation=1000&speed=-5", "operation=1000&speed=x", "limit=-1&type=live", "limit=abc",
                    "operation=1000&type=live&room=" + "r".repeat(3000), "operation=%ZZ", "%%%%", "a=1&&&=&=",
                    "operation=1000&keys=" + "k,".repeat(500), "rooms=&type=live", "type=live&rooms=\u00e9");
            case TOO_LARGE -> {
                body = new byte[MAX_MESSAGE + 1 + rnd.nextInt(100_000)];
                length = Integer.toString(body.length);
            }
            case LENGTH_LONGER_BODY -> {
                // Content-Length shorter than the body: the rest is read as the next request (garbage)
                length = Integer.toString(Math.max(0, body.length - 1 - rnd.nextInt(Math.max(1, body.length))));
                wellFormed = false;
            }
            case BAD_LENGTH -> {
                length = pick(rnd, "-1", "abc", "1e3", "99999999999999999999", "5, 6", "");
                wellFormed = false;
            }
            case CHUNKED -> {
                extraHeaders = "Transfer-Encoding: chunked\r\n";
                length = null;
                body = ascii(pick(rnd, "zz\r\nhello\r\n0\r\n\r\n", "5\r\nhel", "-1\r\n\r\n",
                        "ffffffffffffffff\r\n", "5\r\nhello\r\n0\r\n\r\n", "3;ext=\"\r\nabc\r\n0\r\n\r\n"));
                wellFormed = false;
            }
            case VERSION -> {
                version = pick(rnd, "HTTP/1.0", "HTTP/2.0", "HTTP/0.9", "HTTX/1.1", "HTTP/1.1.1", "");
                wellFormed = version.equals("HTTP/1.0");
                keepAlive = false;
            }
            case HUGE_HEADER -> {
                extraHeaders = "X-Huge: " + "h".repeat(9_000 + rnd.nextInt(50_000)) + "\r\n";
                wellFormed = false;
            }
            case MANY_HEADERS -> {
                StringBuilder many = new StringBuilder();
                for (int i = 0, n = 1500 + rnd.nextInt(100_000); i < n; i++) { // 20 KB to 2 MB of small headers
                    many.append("X-Many-").append(i).append(": ").append(i).append("\r\n");
                }
                extraHeaders = many.toString();
                wellFormed = false;
            }
            case LONG_URI -> {
                query = "operation=1000&keys=" + "u".repeat(5_000 + rnd.nextInt(20_000));
                wellFormed = false;
            }
            case GARBAGE -> {
                return new Case(kind, RawHttp.garbage(rnd, 4096), false, false);
            }
            default -> {
                // VALID
            }
        }
        StringBuilder sb = new StringBuilder(method).append(' ').append(path)
                .append(query.isEmpty() ? "" : "?" + query).append(' ').append(version).append("\r\nHost: x\r\n");
        if (length != null) {
            sb.append("Content-Length: ").append(length).append("\r\n");
        }
        sb.append(extraHeaders).append(keepAlive ? "" : "Connection: close\r\n").append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii(sb.toString()));
        out.writeBytes(body);
        return new Case(kind, out.toByteArray(), keepAlive, wellFormed);
    }

    private static String validQuery(String path, Random rnd) {
        return switch (path) {
            case "/goim/push/keys" -> "operation=1000&keys=k" + rnd.nextInt(10) + "&keys=k" + rnd.nextInt(10);
            case "/goim/push/mids" -> "operation=1000&mids=" + rnd.nextInt(100);
            case "/goim/push/room" -> "operation=1000&type=live&room=" + rnd.nextInt(10);
            case "/goim/push/all" -> "operation=1000&speed=" + rnd.nextInt(10);
            case "/goim/online/top" -> "type=live&limit=" + (1 + rnd.nextInt(10));
            case "/goim/online/room" -> "type=live&rooms=" + rnd.nextInt(10);
            default -> "";
        };
    }

    /**
     * One request on a new connection. It must be answered or closed within the bound; a keep-alive connection
     * answered for a well-formed request must then serve a good request.
     */
    private String exchange(Case c, Random rnd, String where, List<String> failures, List<Waiting> waiting)
            throws Exception {
        RawHttp raw = new RawHttp(port);
        long started = System.nanoTime();
        boolean handedOver = false;
        try {
            raw.send(c.bytes());
            RawHttp.Outcome o = raw.response(ANSWER_WAIT);
            if (o.hung()) {
                // The server waits for the rest of a request that never comes: its request timeout must close it.
                waiting.add(new Waiting(raw, started, where));
                handedOver = true;
                return "waited for more, closed by the request timeout";
            }
            if (!o.answered() && c.wellFormed()) {
                failures.add(where + ": a well-framed request closed without an answer");
            }
            if (c.kind() == Kind.MANY_HEADERS && o.status() != 400 && !(o.closed() && !o.answered())) {
                failures.add(where + ": a 20 KB+ request head got " + o + ", not 400 (or a reset)");
            }
            if (o.closing() && !raw.awaitClose(BOUND)) {
                failures.add(where + ": answered 'Connection: close' but still open");
            } else if (o.answered() && !o.closing() && !o.closed() && c.keepAlive() && c.wellFormed()) {
                raw.send(ascii("GET /goim/online/total HTTP/1.1\r\nHost: x\r\n\r\n"));
                RawHttp.Outcome next = raw.response(BOUND);
                if (next.status() != 200) {
                    failures.add(where + ": after " + o.status() + ", a good request on the same connection got "
                            + next);
                }
            } else if (o.answered() && !c.keepAlive() && !raw.awaitClose(BOUND)) {
                failures.add(where + ": 'Connection: close' but still open after " + o.status());
            }
            return o.answered() ? Integer.toString(o.status()) : "closed";
        } finally {
            if (!handedOver) {
                raw.close();
            }
        }
    }

    /** A connection the server did not answer (it waits for more bytes), and when it was opened. */
    record Waiting(RawHttp raw, long openedNanos, String where) {
    }

    private static String pick(Random rnd, String... options) {
        return options[rnd.nextInt(options.length)];
    }
}
