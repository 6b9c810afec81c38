package dev.imcluster.bench.run;

import dev.imcluster.bench.cluster.BrokerEndpoints;
import dev.imcluster.bench.cluster.BrokerMemory;
import dev.imcluster.bench.core.Deliveries;
import dev.imcluster.bench.core.Payloads;
import dev.imcluster.bench.net.ClientLoop;
import dev.imcluster.bench.net.Connector;
import dev.imcluster.bench.net.GoimClientHandler;
import dev.imcluster.bench.pub.GrpcPublisher;
import dev.imcluster.bench.pub.Publisher;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * Over 300 lines: the soak's load, its samples and its verdict share one run's state; its report table reads
 * those samples.
 *
 * <p>A time-bounded soak: N goim connections heartbeating in R rooms, a steady room publish through gRPC, and
 * periodic reconnect churn (a fraction of the clients closes and new ones connect). Every sample period the
 * broker's live heap (after a full GC), non-heap, direct memory, RSS, threads, open fds and comet's connection
 * count are recorded. The run fails when, between the baseline (the first sample after warmup) and the end, any
 * of them grew beyond its bound, a client was disconnected by the server, a publish failed, too few messages
 * were delivered, or comet still counts connections after every client closed (a leak).
 */
public final class Endurance {
    /** What to run and the bounds that decide pass or fail. */
    public record Plan(int connections, int rooms, Duration heartbeat, int ratePerSecond, int size,
                       Duration churnEvery, double churnFraction, Duration duration, Duration warmup,
                       Duration sampleEvery, Bounds bounds) {
        public Plan {
            if (connections < 1 || rooms < 1 || rooms > connections) {
                throw new IllegalArgumentException("need 1 <= rooms <= connections");
            }
            if (churnFraction < 0 || churnFraction > 0.5) {
                throw new IllegalArgumentException("--churn must be between 0 and 0.5");
            }
            if (size < Payloads.HEADER) {
                throw new IllegalArgumentException("--size must be at least " + Payloads.HEADER);
            }
            if (duration.compareTo(warmup.plus(sampleEvery)) < 0) {
                throw new IllegalArgumentException("--duration must cover --warmup plus one --sample period");
            }
        }
    }

    /** The allowed growth from the baseline sample to the last; fds and threads in counts, memory in bytes. */
    public record Bounds(long heapBytes, long directBytes, long rssBytes, int threads, int fdsOverConnections,
                         double minDeliveredRatio) {
        public static Bounds defaults() {
            return new Bounds(32L << 20, 16L << 20, 160L << 20, 8, 32, 0.99);
        }
    }

    /** One sample of the broker and of the run so far. */
    public record Sample(long elapsedSeconds, BrokerMemory memory, long threads, long fds, long cometConnections,
                         int clientsOpen, long published, long delivered, long churned, long publishErrors) {
        /** Open fds that are not client connections: what must stay flat while connections come and go. */
        long fdsBesideConnections() {
            return fds < 0 ? -1 : fds - cometConnections;
        }
    }

    /** The samples, the verdicts (empty when the run passed) and the run's totals. */
    public record Report(Plan plan, List<Sample> samples, int baselineIndex, List<String> failures,
                         long published, long expectedDeliveries, long delivered, long leakedConnections) {
        public boolean passed() {
            return failures.isEmpty();
        }
    }

    private final ClientLoop loop;
    private final PrintStream progress;

    public Endurance(ClientLoop loop, PrintStream progress) {
        this.loop = loop;
        this.progress = progress;
    }

    public Report run(BrokerEndpoints b, Plan plan) throws Exception {
        String run = Long.toString(ProcessHandle.current().pid(), 36) + "e" + System.nanoTime() % 100000;
        InetSocketAddress comet = new InetSocketAddress(b.host(), b.cometTcp());
        Deliveries deliveries = new Deliveries();
        GoimClientHandler.Stats stats = new GoimClientHandler.Stats();
        List<GoimClientHandler> clients = new ArrayList<>();
        // index i is in room i % rooms; churn replaces a client by one with a fresh index in the same room
        List<Integer> indexes = new ArrayList<>();
        int[] nextIndex = {0};
        Connector.ClientFactory<GoimClientHandler> factory = i -> new GoimClientHandler(i + 1, null,
                "live://" + run + "-" + (i % plan.rooms()), Scenarios.OPERATION, plan.heartbeat().toMillis(),
                deliveries, stats);
        clients.addAll(Connector.connect(loop, comet, 0, plan.connections(), factory, 256, Duration.ofMinutes(5)));
        for (int i = 0; i < plan.connections(); i++) {
            indexes.add(i);
        }
        nextIndex[0] = plan.connections();
        progress.printf(Locale.ROOT, "[endurance] %d connections in %d rooms; publishing %d msg/s for %d s%n",
                plan.connections(), plan.rooms(), plan.ratePerSecond(), plan.duration().toSeconds());

        LongAdder published = new LongAdder();
        LongAdder publishErrors = new LongAdder();
        LongAdder expected = new LongAdder();
        AtomicLong inFlight = new AtomicLong();
        AtomicLong churned = new AtomicLong();
        long[] roomMembers = new long[plan.rooms()];
        for (int i = 0; i < plan.connections(); i++) {
            roomMembers[i % plan.rooms()]++;
        }
        List<Sample> samples = new ArrayList<>();
        Random random = new Random(42);
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "endurance-publisher");
            t.setDaemon(true);
            return t;
        });
        long start = System.nanoTime();
        try (Publisher publisher = new GrpcPublisher(loop, b.host(), b.logicGrpc(), 1, plan.rooms(),
                i -> "live://" + run + "-" + i)) {
            int perTick = Math.max(1, plan.ratePerSecond() / 100);
            long tickMicros = 1_000_000L * perTick / Math.max(1, plan.ratePerSecond());
            int[] room = {0};
            timer.scheduleAtFixedRate(() -> {
                for (int k = 0; k < perTick; k++) {
                    if (inFlight.get() > 1000) {
                        return; // the broker is behind: skip rather than queue without bound
                    }
                    int r = room[0]++ % plan.rooms();
                    inFlight.incrementAndGet();
                    publisher.publish(r, Payloads.stamp(plan.size(), true), error -> {
                        inFlight.decrementAndGet();
                        if (error != null) {
                            publishErrors.increment();
                        } else {
                            published.increment();
                            expected.add(roomMembers[r]);
                        }
                    });
                }
            }, tickMicros, tickMicros, TimeUnit.MICROSECONDS);

            long end = start + plan.duration().toNanos();
            long nextSample = start + plan.warmup().toNanos();
            long nextChurn = start + plan.churnEvery().toNanos();
            while (System.nanoTime() < end) {
                long now = System.nanoTime();
                if (now >= nextChurn && plan.churnFraction() > 0) {
                    int n = (int) Math.max(1, Math.round(clients.size() * plan.churnFraction()));
                    List<Integer> reconnect = new ArrayList<>();
                    while (reconnect.size() < n) {
                        int victim = random.nextInt(clients.size());
                        if (clients.get(victim) == null) {
                            continue; // already chosen in this step
                        }
                        clients.get(victim).close();
                        int oldIndex = indexes.get(victim);
                        // same room, fresh index (and so a fresh source port): a client reconnecting
                        int fresh = nextIndex[0] + Math.floorMod(oldIndex - nextIndex[0], plan.rooms());
                        nextIndex[0] = fresh + 1;
                        clients.set(victim, null);
                        indexes.set(victim, fresh);
                        reconnect.add(victim);
                    }
                    for (int victim : reconnect) {
                        clients.set(victim, Connector.connect(loop, comet, indexes.get(victim), 1, factory, 1,
                                Duration.ofMinutes(1)).get(0));
                    }
                    churned.addAndGet(n);
                    nextChurn += plan.churnEvery().toNanos();
                }
                if (now >= nextSample) {
                    Sample s = sample(b, (now - start) / 1_000_000_000L, clients.size(), published.sum(),
                            deliveries.all(), churned.get(), publishErrors.sum());
                    samples.add(s);
                    progress.println("[endurance] " + row(s));
                    nextSample += plan.sampleEvery().toNanos();
                }
                Thread.sleep(Math.max(1, Math.min(nextChurn, nextSample) - System.nanoTime()) / 1_000_000L + 1);
            }
            timer.shutdownNow();
            timer.awaitTermination(10, TimeUnit.SECONDS);
            // let the last publishes arrive: until nothing is in flight and deliveries stop moving
            long quietUntil = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long last = -1;
            while (System.nanoTime() < quietUntil && (inFlight.get() > 0 || deliveries.all() != last)) {
                last = deliveries.all();
                Thread.sleep(1000);
            }
            samples.add(sample(b, (System.nanoTime() - start) / 1_000_000_000L, clients.size(), published.sum(),
                    deliveries.all(), churned.get(), publishErrors.sum()));
            progress.println("[endurance] " + row(samples.get(samples.size() - 1)));
        } finally {
            timer.shutdownNow();
            clients.forEach(c -> {
                if (c != null) {
                    c.close();
                }
            });
        }
        long leaked = awaitConnectionsGone(b, Duration.ofSeconds(30));
        return verdict(plan, samples, published.sum(), expected.sum(), deliveries.all(), publishErrors.sum(),
                stats, leaked);
    }

    private static Sample sample(BrokerEndpoints b, long elapsed, int clientsOpen, long published, long delivered,
                                 long churned, long errors) throws IOException, InterruptedException {
        BrokerMemory m = BrokerMemory.sample(b.host(), b.cometAdmin(), b.pid(), true);
        String metrics = BrokerMemory.scrape(b.host(), b.cometAdmin());
        long threads = BrokerMemory.sum(metrics, "jvm_threads_live_threads", "");
        long connections = BrokerMemory.sum(metrics, "imcluster_comet_connections", "");
        return new Sample(elapsed, m, threads, openFds(b.pid(), metrics), connections, clientsOpen, published,
                delivered, churned, errors);
    }

    /** Entries of /proc/PID/fd when the broker runs here, else the broker's own process_files_open_files. */
    static long openFds(long pid, String metrics) throws IOException {
        Path dir = Path.of("/proc", String.valueOf(pid), "fd");
        if (pid > 0 && Files.isDirectory(dir)) {
            try (Stream<Path> fds = Files.list(dir)) {
                return fds.count();
            }
        }
        return BrokerMemory.sum(metrics, "process_files_open_files", "");
    }

    private static long awaitConnectionsGone(BrokerEndpoints b, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long open;
        do {
            open = BrokerMemory.sum(BrokerMemory.scrape(b.host(), b.cometAdmin()), "imcluster_comet_connections", "");
            if (open == 0) {
                return 0;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        return open;
    }

    static Report verdict(Plan plan, List<Sample> samples, long published, long expected, long delivered,
                          long publishErrors, GoimClientHandler.Stats stats, long leaked) {
        List<String> failures = new ArrayList<>();
        int baselineIndex = 0;
        if (samples.size() < 2) {
            failures.add("fewer than two samples: nothing to compare");
        } else {
            Sample base = samples.get(baselineIndex);
            Sample end = samples.get(samples.size() - 1);
            Bounds bound = plan.bounds();
            grew(failures, "live heap", base.memory().heapUsed(), end.memory().heapUsed(), bound.heapBytes());
            grew(failures, "direct memory", base.memory().directUsed(), end.memory().directUsed(),
                    bound.directBytes());
            if (base.memory().rss() > 0) {
                grew(failures, "RSS", base.memory().rss(), end.memory().rss(), bound.rssBytes());
            }
            grew(failures, "threads", base.threads(), end.threads(), bound.threads());
            if (base.fds() >= 0) {
                grew(failures, "open fds beside client connections", base.fdsBesideConnections(),
                        end.fdsBesideConnections(), bound.fdsOverConnections());
            }
            if (end.cometConnections() != end.clientsOpen()) {
                failures.add("comet counts " + end.cometConnections() + " connections, the clients hold "
                        + end.clientsOpen());
            }
        }
        if (publishErrors > 0) {
            failures.add(publishErrors + " publish calls failed");
        }
        if (published == 0) {
            failures.add("nothing was published");
        }
        if (stats.closedUnexpectedly.sum() > 0) {
            failures.add(stats.closedUnexpectedly.sum() + " client connections were closed by the server");
        }
        if (stats.protocolErrors.sum() > 0) {
            failures.add(stats.protocolErrors.sum() + " malformed frames reached the clients");
        }
        if (expected > 0 && delivered < expected * plan.bounds().minDeliveredRatio()) {
            failures.add(String.format(Locale.ROOT, "delivered %d of %d expected (%.4f < %.4f; churn misses "
                    + "only what a reconnecting client could not see)", delivered, expected,
                    delivered / (double) expected, plan.bounds().minDeliveredRatio()));
        }
        if (leaked != 0) {
            failures.add("comet still counts " + leaked + " connections after every client closed");
        }
        return new Report(plan, samples, baselineIndex, failures, published, expected, delivered, leaked);
    }

    private static void grew(List<String> failures, String what, long from, long to, long bound) {
        if (to - from > bound) {
            failures.add(String.format(Locale.ROOT, "%s grew from %d to %d (bound +%d)", what, from, to, bound));
        }
    }

    private static String row(Sample s) {
        BrokerMemory m = s.memory();
        return String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.1f | %s | %d | %d | %d / %d | %d | %d | %d |",
                s.elapsedSeconds(), mib(m.heapUsed()), mib(m.nonHeapUsed()), mib(m.directUsed()),
                m.rss() < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f", mib(m.rss())), s.threads(), s.fds(),
                s.cometConnections(), s.clientsOpen(), s.published(), s.delivered(), s.churned());
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    public static String markdown(Report r) {
        Plan p = r.plan();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%d goim TCP connections in %d rooms, heartbeat %d s; %d msg/s of %d B "
                        + "room pushes (gRPC Publish); %.1f%% of the connections reconnect every %d s; %d s, "
                        + "sampled every %d s after a %d s warmup (heap after a full GC).%n%n",
                p.connections(), p.rooms(), p.heartbeat().toSeconds(), p.ratePerSecond(), p.size(),
                p.churnFraction() * 100, p.churnEvery().toSeconds(), p.duration().toSeconds(),
                p.sampleEvery().toSeconds(), p.warmup().toSeconds()));
        sb.append("| t (s) | Live heap MiB | Non-heap MiB | Direct MiB | RSS MiB | Threads | Open fds "
                + "| Comet connections / clients | Published | Delivered | Reconnects |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|\n");
        for (Sample s : r.samples()) {
            sb.append(row(s)).append('\n');
        }
        Bounds b = p.bounds();
        sb.append(String.format(Locale.ROOT, "%nBounds from the first sample to the last: live heap +%d MiB, "
                        + "direct +%d MiB, RSS +%d MiB, threads +%d, open fds beside client connections +%d; "
                        + "delivered at least %.2f of expected; no connection left on comet after the clients "
                        + "close.%n%n", b.heapBytes() >> 20, b.directBytes() >> 20, b.rssBytes() >> 20, b.threads(),
                b.fdsOverConnections(), b.minDeliveredRatio()));
        sb.append(String.format(Locale.ROOT, "Published %d, delivered %d of %d expected (%.5f); connections left "
                        + "on comet after close: %d. Verdict: %s%n", r.published(), r.delivered(),
                r.expectedDeliveries(), r.expectedDeliveries() == 0 ? 0.0
                        : r.delivered() / (double) r.expectedDeliveries(), r.leakedConnections(),
                r.passed() ? "PASS" : "FAIL: " + String.join("; ", r.failures())));
        return sb.toString();
    }
}
