package dev.imcluster.broker.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Clients that stay connected while the cluster changes, for e2e (comet scaled down):
 * {@code java -cp imcluster-broker.jar dev.imcluster.broker.demo.DemoFollower --push URL --ws URL... --reconnect URL
 * [--seconds N]}. Each goim WebSocket client joins room {@link Demo#TOPIC}; when its connection ends (a comet shutting
 * down), it reconnects to the --reconnect URL (a Service name). A publisher pushes a numbered message every 200 ms
 * through logic's HTTP API for N seconds. It exits 0 when every client is connected at the end and has received every
 * message whose push started after its last connection was authenticated; it prints each client's reconnections,
 * and for each address, how many of its connections the server closed and over how long (a comet's lame-duck spread:
 * {@code closed by ws://...: 10 connections over 9012 ms}).
 */
public final class DemoFollower {

    private static final long RECONNECT_DELAY_MS = 1000;

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final List<Follower> followers = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** When each connection ended (nanoTime), by the address it was connected to. */
    private final Map<String, List<Long>> closedAt = new ConcurrentHashMap<>();
    /** Push start time (nanoTime) of each message number. */
    private final List<Long> pushedAt = new ArrayList<>();
    private volatile boolean closing;

    /** One client: its current socket, when its last connection was authenticated, and what it received. */
    final class Follower {
        final int mid;
        final String firstUrl;
        final Set<Integer> got = ConcurrentHashMap.newKeySet();
        final AtomicInteger connections = new AtomicInteger();
        volatile long authenticatedAt = Long.MAX_VALUE;
        volatile boolean connected;
        volatile DemoWebSocketClient socket;

        Follower(int mid, String firstUrl) {
            this.mid = mid;
            this.firstUrl = firstUrl;
        }

        void connect(String url) {
            DemoWebSocketClient previous = socket;
            if (previous != null) {
                previous.close();
            }
            AtomicInteger ended = new AtomicInteger();
            socket = new DemoWebSocketClient(URI.create(url), "{\"mid\":" + mid + ",\"room_id\":\"" + Demo.TOPIC
                    + "\",\"platform\":\"web\",\"accepts\":[1000,1001,1002]}", line -> {
                        if (line.startsWith("received op")) {
                            int at = line.indexOf(run + " #");
                            if (at >= 0) {
                                got.add(Integer.parseInt(line.substring(at + run.length() + 2).trim()));
                            }
                        } else if (line.startsWith("authenticated")) {
                            authenticatedAt = System.nanoTime();
                            connected = true;
                            System.out.println("client " + mid + ": connection " + connections.incrementAndGet()
                                    + " authenticated on " + url);
                        } else if (ended.getAndIncrement() == 0 && !closing) { // closed, error, cannot connect
                            if (connected) {
                                closedAt.computeIfAbsent(url, u -> new java.util.concurrent.CopyOnWriteArrayList<>())
                                        .add(System.nanoTime());
                            }
                            connected = false;
                            System.out.println("client " + mid + ": " + line + "; reconnecting to " + reconnectUrl);
                            timer.schedule(() -> connect(reconnectUrl), RECONNECT_DELAY_MS, TimeUnit.MILLISECONDS);
                        }
                    });
            socket.connect();
        }
    }

    private String reconnectUrl;

    public static void main(String[] args) throws Exception {
        String push = null;
        String reconnect = null;
        List<String> ws = new ArrayList<>();
        long seconds = 60;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--push" -> push = args[i + 1];
                case "--ws" -> ws.add(args[i + 1]);
                case "--reconnect" -> reconnect = args[i + 1];
                case "--seconds" -> seconds = Long.parseLong(args[i + 1]);
                default -> {
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        if (push == null || reconnect == null || ws.isEmpty() || args.length % 2 != 0) {
            System.err.println("usage: DemoFollower --push URL --ws URL... --reconnect URL [--seconds N]");
            System.exit(2);
        }
        DemoFollower follower = new DemoFollower();
        boolean ok;
        try {
            ok = follower.run(push, ws, reconnect, seconds);
        } finally {
            follower.closing = true;
            follower.followers.forEach(f -> f.socket.close());
            follower.timer.shutdownNow();
        }
        System.exit(ok ? 0 : 1);
    }

    boolean run(String push, List<String> ws, String reconnect, long seconds) throws Exception {
        reconnectUrl = reconnect;
        int mid = 2000;
        for (String url : ws) {
            Follower f = new Follower(mid++, url);
            followers.add(f);
            f.connect(url);
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < end) {
            int n = pushedAt.size();
            pushedAt.add(System.nanoTime());
            try {
                HttpResponse<String> r = http.send(Demo.pushRequest(push + "/goim/push/room?operation=1000&type="
                                + Demo.TYPE + "&room=" + Demo.ROOM).timeout(Duration.ofSeconds(5))
                        .POST(HttpRequest.BodyPublishers.ofString(run + " #" + n, StandardCharsets.UTF_8)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    System.out.println("push #" + n + " -> " + r.statusCode() + " " + r.body());
                }
            } catch (java.io.IOException e) {
                System.out.println("push #" + n + " failed: " + e.getMessage());
            }
            Thread.sleep(200);
        }
        Thread.sleep(5000); // the last pushes in flight
        boolean ok = true;
        for (Follower f : followers) {
            List<Integer> missed = new ArrayList<>();
            for (int n = 0; n < pushedAt.size(); n++) {
                if (pushedAt.get(n) > f.authenticatedAt && !f.got.contains(n)) {
                    missed.add(n);
                }
            }
            boolean fine = f.connected && missed.isEmpty();
            ok &= fine;
            System.out.println((fine ? "OK   " : "MISS ") + "client " + f.mid + " (first on " + f.firstUrl + "): "
                    + f.connections.get() + " connection(s), " + (f.connected ? "connected" : "NOT connected")
                    + " at the end, received " + f.got.size() + " of " + pushedAt.size() + " messages, missed "
                    + missed.size() + " published after its last connection" + (missed.isEmpty() ? "" : " " + missed));
        }
        closedAt.forEach((url, times) -> System.out.println("closed by " + url + ": " + times.size()
                + " connections over " + TimeUnit.NANOSECONDS.toMillis(Collections.max(times) - Collections.min(times))
                + " ms"));
        return ok;
    }
}
