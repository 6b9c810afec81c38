package dev.imcluster.broker.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Steady traffic while the cluster changes under it, for the backend-swap e2e (e2e/checks.d/75-backend-swap.sh):
 * {@code java -cp imcluster-broker.jar dev.imcluster.broker.demo.DemoSwapTraffic --push URL --ws URL --grpc TARGET
 * --stop-file PATH [--rate N] [--drain-seconds N]}.
 *
 * <p>Goim WebSocket clients and gRPC topic subscribers (one of each per comet in the e2e: {@code --ws} and
 * {@code --grpc} repeat) join room {@link Demo#TOPIC}. A publisher then pushes
 * numbered messages through logic's HTTP API at N per second until the stop file exists. A push that fails (an error
 * status, a refused or reset connection while logic rolls) is retried with the same payload, as a client behind a
 * Service would, until logic acknowledges it. Then it waits until every receiver has every acknowledged message and
 * exits 0 when each has them all (duplicates removed by message number), 1 when any is missing. It prints progress
 * every 5 s, a summary line per receiver, and one for the run ({@code ALL} or {@code LOST}).
 */
public final class DemoSwapTraffic {

    private static final Duration RETRY_FOR = Duration.ofSeconds(90);
    private static final long RETRY_DELAY_MS = 250;

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final List<Receiver> receivers = new ArrayList<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    /** Message numbers logic acknowledged (HTTP 200). */
    private final Set<Integer> accepted = ConcurrentHashMap.newKeySet();
    private final AtomicInteger published = new AtomicInteger();
    private final AtomicInteger failedAttempts = new AtomicInteger();
    private final AtomicInteger gaveUp = new AtomicInteger();
    private volatile boolean closing;

    /** One subscriber: the distinct message numbers it got, and how many arrived more than once. */
    private final class Receiver {
        final String name;
        final Set<Integer> got = ConcurrentHashMap.newKeySet();
        final AtomicInteger duplicates = new AtomicInteger();
        final AtomicInteger warmups = new AtomicInteger();
        volatile String ended;

        Receiver(String name) {
            this.name = name;
        }

        void accept(String payload) {
            int at = payload.indexOf(run + " ");
            if (at < 0) {
                return;
            }
            String rest = payload.substring(at + run.length() + 1).trim();
            if (rest.startsWith("warmup")) {
                warmups.incrementAndGet();
            } else if (rest.startsWith("#") && !got.add(Integer.parseInt(rest.substring(1).trim()))) {
                duplicates.incrementAndGet();
            }
        }

        List<Integer> missing() {
            List<Integer> m = new ArrayList<>(new TreeSet<>(accepted));
            m.removeAll(got);
            return m;
        }
    }

    public static void main(String[] args) throws Exception {
        String push = null;
        String stopFile = null;
        List<String> ws = new ArrayList<>();
        List<String> grpc = new ArrayList<>();
        int rate = 20;
        long drainSeconds = 120;
        for (int i = 0; i < args.length; i += 2) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--push" -> push = value;
                case "--ws" -> ws.add(value);
                case "--grpc" -> grpc.add(value);
                case "--stop-file" -> stopFile = value;
                case "--rate" -> rate = Integer.parseInt(value);
                case "--drain-seconds" -> drainSeconds = Long.parseLong(value);
                default -> usage("unknown argument " + args[i]);
            }
        }
        if (push == null || stopFile == null || ws.isEmpty() && grpc.isEmpty() || rate < 1) {
            usage("DemoSwapTraffic needs --push, --stop-file and at least one --ws or --grpc");
        }
        DemoSwapTraffic traffic = new DemoSwapTraffic();
        boolean ok;
        try {
            ok = traffic.run(push, ws, grpc, Path.of(stopFile), rate, drainSeconds);
        } finally {
            traffic.close();
        }
        System.exit(ok ? 0 : 1);
    }

    private static void usage(String problem) {
        System.err.println(problem + "\nusage: DemoSwapTraffic --push URL --ws URL... --grpc TARGET... --stop-file PATH"
                + " [--rate N] [--drain-seconds N]");
        System.exit(2);
    }

    boolean run(String push, List<String> ws, List<String> grpc, Path stop, int rate, long drainSeconds)
            throws Exception {
        subscribe(ws, grpc);
        long warmupDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        for (int w = 0; !receivers.stream().allMatch(r -> r.warmups.get() > 0); w++) {
            if (System.nanoTime() > warmupDeadline) {
                System.out.println("FAIL the receivers did not get a warm-up message within 120 s");
                return false;
            }
            publish(push, run + " warmup " + w);
            Thread.sleep(1000);
        }
        System.out.println("publishing at " + rate + "/s until " + stop + " exists");
        long periodNanos = TimeUnit.SECONDS.toNanos(1) / rate;
        long next = System.nanoTime();
        long nextProgress = next + TimeUnit.SECONDS.toNanos(5);
        while (!Files.exists(stop)) {
            int n = published.getAndIncrement();
            if (publish(push, run + " #" + n)) {
                accepted.add(n);
            } else {
                gaveUp.incrementAndGet();
            }
            next += periodNanos;
            long now = System.nanoTime();
            if (now >= nextProgress) {
                progress("progress");
                nextProgress = now + TimeUnit.SECONDS.toNanos(5);
            }
            if (next > now) {
                TimeUnit.NANOSECONDS.sleep(next - now);
            } else {
                next = now; // behind (retries): carry on at the rate from here, no burst
            }
        }
        System.out.println("stopped publishing; waiting up to " + drainSeconds + " s for the last deliveries");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(drainSeconds);
        while (System.nanoTime() < deadline && !receivers.stream().allMatch(r -> r.missing().isEmpty())) {
            Thread.sleep(200);
        }
        progress("final");
        boolean ok = gaveUp.get() == 0;
        if (!ok) {
            System.out.println("FAIL " + gaveUp.get() + " pushes were never acknowledged within " + RETRY_FOR);
        }
        int receiversMissing = 0;
        int lost = 0;
        for (Receiver r : receivers) {
            List<Integer> missing = r.missing();
            ok &= missing.isEmpty();
            receiversMissing += missing.isEmpty() ? 0 : 1;
            lost += missing.size();
            System.out.println((missing.isEmpty() ? "OK   " : "MISS ") + r.name + ": delivered " + r.got.size()
                    + " of " + accepted.size() + " acknowledged (" + r.duplicates.get() + " duplicates removed), lost "
                    + missing.size() + (missing.isEmpty() ? "" : " " + abbreviate(missing))
                    + (r.ended == null ? "" : "; its stream ended: " + r.ended));
        }
        // One line for the whole run: with a receiver per comet, a comet that job stopped reaching shows here.
        System.out.println(receiversMissing == 0
                ? "ALL " + receivers.size() + " receivers got every one of " + accepted.size() + " acknowledged pushes"
                : "LOST " + lost + " deliveries: " + receiversMissing + " of " + receivers.size()
                        + " receivers missed acknowledged pushes");
        return ok;
    }

    private void progress(String what) {
        StringBuilder line = new StringBuilder(what + ": published " + published.get() + ", acknowledged "
                + accepted.size() + ", failed attempts " + failedAttempts.get());
        for (Receiver r : receivers) {
            line.append(", ").append(r.name).append(" delivered ").append(r.got.size());
        }
        System.out.println(line);
    }

    private void subscribe(List<String> ws, List<String> grpc) {
        int mid = 3000;
        for (String url : ws) {
            Receiver r = new Receiver("websocket " + url);
            receivers.add(r);
            DemoWebSocketClient c = new DemoWebSocketClient(URI.create(url), "{\"mid\":" + (mid++) + ",\"room_id\":\""
                    + Demo.TOPIC + "\",\"platform\":\"web\",\"accepts\":[1000,1001,1002]}", line -> {
                        if (line.startsWith("received op")) {
                            r.accept(line);
                        } else {
                            if (!line.startsWith("authenticated")) {
                                r.ended = line;
                            }
                            System.out.println("[" + r.name + "] " + line);
                        }
                    });
            closeables.add(c);
            c.connect();
        }
        for (String target : grpc) {
            Receiver r = new Receiver("gRPC subscriber " + target);
            receivers.add(r);
            closeables.add(DemoGrpcSubscriber.subscribe(target, r::accept, why -> {
                if (!closing) {
                    r.ended = why;
                    System.out.println("[" + r.name + "] stream ended: " + why);
                }
            }));
        }
    }

    /** Pushes one payload, retrying it until logic acknowledges it; false when it never did within RETRY_FOR. */
    private boolean publish(String push, String body) throws InterruptedException {
        long deadline = System.nanoTime() + RETRY_FOR.toNanos();
        String problem;
        do {
            try {
                HttpResponse<String> r = http.send(Demo.pushRequest(push
                                + "/goim/push/room?operation=1000&type=" + Demo.TYPE + "&room=" + Demo.ROOM)
                        .timeout(Duration.ofSeconds(5))
                        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return true;
                }
                problem = r.statusCode() + " " + r.body();
            } catch (java.io.IOException e) {
                problem = e.getClass().getSimpleName() + " " + e.getMessage();
            }
            // Rate-limited: a rolling logic may refuse many attempts in a row.
            if (failedAttempts.incrementAndGet() % 20 == 1) {
                System.out.println("push \"" + body + "\" failed (" + problem + "); retrying (" + failedAttempts.get()
                        + " failed attempts so far)");
            }
            Thread.sleep(RETRY_DELAY_MS);
        } while (System.nanoTime() < deadline);
        return false;
    }

    private static String abbreviate(List<Integer> ids) {
        return ids.size() <= 20 ? ids.toString() : ids.subList(0, 20) + "... (" + ids.size() + ")";
    }

    private void close() {
        closing = true;
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                // closing at exit: nothing to do
            }
        }
    }
}
