package dev.imcluster.bench.cli;

import dev.imcluster.bench.cluster.BrokerChild;
import dev.imcluster.bench.core.Markdown;
import dev.imcluster.bench.core.Result;
import dev.imcluster.bench.core.Workload;
import dev.imcluster.bench.net.ClientLoop;
import dev.imcluster.bench.run.JfrSummary;
import dev.imcluster.bench.run.Scenarios;
import dev.imcluster.bench.run.Soak;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The whole comparison, written to docs/BENCHMARKS.md: room fan-out on imcluster (gRPC and HTTP publishing) and
 * its peers at their peak, then each at half its peak for latency; topic and key pushes; the connection soak; a
 * JFR profile of the broker under the room load. Hand-written notes between the doc's notes markers survive.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Runs the whole comparison and writes the report (docs/BENCHMARKS.md).")
public final class CompareCommand implements Callable<Integer> {
    static final String NOTES_START = "<!-- notes:start (hand-written; kept when the report is regenerated) -->";
    static final String NOTES_END = "<!-- notes:end -->";

    @Mixin
    ClusterOptions cluster;

    @Mixin
    Workload workload;

    @Option(names = "--doc", description = "The report to write (default ${DEFAULT-VALUE}).")
    Path doc = Path.of("docs", "BENCHMARKS.md");

    @Option(names = "--soak", split = ",", description = "Soak steps; steps beyond the open-files limit are "
            + "replaced by the largest that fits; empty to skip (default: 10000,50000).")
    int[] soak = {10_000, 50_000};

    @Option(names = "--soak-hold", description = "Seconds each soak step is held (default ${DEFAULT-VALUE}).")
    int soakHold = 10;

    @Option(names = "--profile-seconds", description = "Seconds of JFR profile under the room load at half "
            + "peak; 0 to skip (default ${DEFAULT-VALUE}).")
    int profileSeconds = 15;

    @Option(names = "--variant-batch", description = "Also run the room fan-out at max with this "
            + "job.roomBatch.maxMessages (default ${DEFAULT-VALUE}; 0 to skip).")
    int variantBatch = 200;

    @Option(names = "--operator-scale", description = "The operator-scale section to include (written by "
            + "bench/operator-scale.sh; default ${DEFAULT-VALUE}); when it is missing the report says so.")
    Path operatorScale = Path.of("target", "bench-work", "operator-scale.md");

    @Option(names = "--command-line", hidden = true, description = "How the report says it was produced.")
    String commandLine = "bench/run-all.sh";

    @Override
    public Integer call() throws Exception {
        workload.validate();
        Instant started = Instant.now();
        String loadBefore = Machine.loadAverage();
        List<Result> peaks = new ArrayList<>();
        List<Result> halves = new ArrayList<>();
        List<Result> others = new ArrayList<>();
        List<Soak.Step> soakSteps = List.of();
        String soakNote = "";
        String profile = null;
        Scenarios.Via via;
        ClusterOptions servers = cluster; // stops what it started, after the client threads
        try (servers; ClientLoop loop = new ClientLoop(cluster.ioThreads())) {
            Scenarios s = new Scenarios(loop, System.err);
            // The broker's JIT warms up on both publish paths first, unmeasured, so neither path pays for it.
            warmJit(s, cluster.broker(), Scenarios.Via.grpc);
            warmJit(s, cluster.broker(), Scenarios.Via.http);
            Result grpc = attempt("room", "imcluster", workload,
                    () -> s.room(cluster.broker(), workload, Scenarios.Via.grpc));
            Result http = attempt("room", "imcluster", workload,
                    () -> s.room(cluster.broker(), workload, Scenarios.Via.http));
            via = grpc.deliveriesPerSecond() >= http.deliveriesPerSecond() ? Scenarios.Via.grpc : Scenarios.Via.http;
            Result ours = via == Scenarios.Via.grpc ? grpc : http;
            peaks.add(ours);
            others.add(via == Scenarios.Via.grpc ? http : grpc);
            for (Scenarios.Peer peer : Scenarios.Peer.values()) {
                peaks.add(attempt("room", peer.label, workload, () -> peer(s, peer, workload)));
            }
            for (int i = 0; i < peaks.size(); i++) {
                Result peak = peaks.get(i);
                Workload half = workload.withRate(Math.max(1, peak.publishedPerSecond() / 2));
                Scenarios.Via v = via;
                Scenarios.Peer p = i == 0 ? null : Scenarios.Peer.values()[i - 1]; // peaks: imcluster, then peers
                halves.add(p == null
                        ? attempt("room", "imcluster", half, () -> s.room(cluster.broker(), half, v))
                        : attempt("room", peak.system(), half, () -> peer(s, p, half)));
            }
            others.add(attempt("topic", "imcluster", workload, () -> s.topic(cluster.broker(), workload)));
            others.add(attempt("key", "imcluster", workload, () -> s.key(cluster.broker(), workload)));
            cluster.stopBroker();
            if (variantBatch > 0) {
                // What the per-room batch cap costs: a room has one BroadcastRoom in flight at a time.
                String name = "imcluster, job.roomBatch.maxMessages=" + variantBatch;
                Scenarios.Via v = via;
                Result r = attempt("room", name, workload, () -> {
                    try (BrokerChild variant = cluster.startBroker("variant-broker", List.of(),
                            java.util.Map.of("job.roomBatch.maxMessages", String.valueOf(variantBatch)))) {
                        warmJit(s, variant.endpoints(), v);
                        return s.room(variant.endpoints(), workload, v);
                    }
                });
                others.add(new Result(r.scenario(), name, r.publishers(), r.subscribers(), r.rooms(), r.size(),
                        r.targetRate(), r.seconds(), r.sent(), r.expected(), r.delivered(), r.errors(), r.p50Ms(),
                        r.p99Ms(), r.p999Ms(), r.maxMs(), r.notes()));
            }
            if (soak.length > 0) {
                long limit = Machine.openFilesLimit();
                int[] steps = fitSoak(soak, limit);
                if (steps.length != soak.length || steps[steps.length - 1] != soak[soak.length - 1]) {
                    soakNote = String.format(Locale.ROOT, "The open-files limit here is %d per process (and "
                            + "cannot be raised in this container), so the largest step run is %d connections "
                            + "instead of %d.", limit, steps[steps.length - 1], soak[soak.length - 1]);
                }
                try (BrokerChild fresh = cluster.startBroker("soak-broker", List.of())) {
                    soakSteps = new Soak(loop, System.err).run(fresh.endpoints(), steps, Duration.ofSeconds(10),
                            Duration.ofSeconds(soakHold));
                } catch (Exception e) {
                    System.err.println("soak failed: " + e);
                    soakNote += " The soak failed: " + e.getMessage();
                }
            }
            if (profileSeconds > 0) {
                try {
                    profile = profile(s, peaks.get(0), via);
                } catch (Exception e) {
                    System.err.println("profile failed: " + e);
                    profile = "The profiled run failed: " + e.getMessage() + "\n";
                }
            }
        }
        String report = report(started, loadBefore, peaks, halves, others, soakSteps, soakNote, profile);
        if (doc.getParent() != null) {
            Files.createDirectories(doc.getParent());
        }
        Files.writeString(doc, report);
        System.out.print(report);
        System.err.println("wrote " + doc.toAbsolutePath());
        return 0;
    }

    /** An unmeasured room run at max, so that a fresh broker's JIT has compiled the hot paths. */
    private void warmJit(Scenarios s, dev.imcluster.bench.cluster.BrokerEndpoints broker, Scenarios.Via via) {
        Workload jit = workload.copy();
        jit.warmup = 0;
        jit.duration = Math.min(5, workload.duration);
        jit.rate = 0;
        attempt("room", "imcluster (JIT warmup)", jit, () -> s.room(broker, jit, via));
    }

    private interface Run {
        Result run() throws Exception;
    }

    /** Runs one measurement; a failure becomes a row saying so rather than ending the comparison. */
    private static Result attempt(String scenario, String system, Workload w, Run run) {
        try {
            return run.run();
        } catch (Exception e) {
            System.err.println(scenario + "/" + system + " failed: " + e);
            return Result.failed(scenario, system, w, e);
        }
    }

    private Result peer(Scenarios s, Scenarios.Peer peer, Workload w) throws Exception {
        String[] hostPort = peer == Scenarios.Peer.redis ? cluster.redisHostPort() : cluster.natsHostPort();
        return s.peer(peer, hostPort[0], Integer.parseInt(hostPort[1]), w);
    }

    /** The steps that fit under the open-files limit (with room for the process's other files). */
    public static int[] fitSoak(int[] steps, long limit) {
        long max = limit < 0 ? Long.MAX_VALUE : limit - 1000;
        List<Integer> fit = new ArrayList<>();
        for (int n : steps) {
            if (n <= max) {
                fit.add(n);
            } else {
                int largest = (int) (max / 1000 * 1000);
                if (largest > 0 && (fit.isEmpty() || fit.get(fit.size() - 1) < largest)) {
                    fit.add(largest);
                }
                break;
            }
        }
        return fit.stream().mapToInt(Integer::intValue).toArray();
    }

    private String profile(Scenarios s, Result ours, Scenarios.Via via) throws Exception {
        Path jfr = cluster.workDir().resolve("broker-room.jfr").toAbsolutePath();
        Files.createDirectories(jfr.getParent());
        Files.deleteIfExists(jfr);
        BrokerChild broker = cluster.startBroker("profiled-broker", List.of(
                "-XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true"));
        Workload w = workload.withRate(Math.max(1, ours.publishedPerSecond() / 2));
        w.duration = profileSeconds;
        warmJit(s, broker.endpoints(), via);
        // Only the measured window counts: not the broker's start, the connects or the warmup.
        Instant[] window = new Instant[1];
        s.onWindow((from, to) -> window[0] = from);
        Result r = s.room(broker.endpoints(), w, via);
        s.onWindow((from, to) -> { });
        broker.close(); // the recording is written as the JVM exits
        if (!Files.exists(jfr)) {
            return "The recording was not written (see " + broker.log() + ").";
        }
        return String.format(Locale.ROOT, "Recorded with `-XX:StartFlightRecording=settings=profile` (the bench's "
                + "`--broker-jvm-opts`) over a %d s room run at %.0f msg/s (%.0f deliveries/s, p99 %.2f ms); "
                + "summarized from `%s` by `JfrSummary` (events of the measured window only).%n%n", profileSeconds,
                w.rate, r.deliveriesPerSecond(), r.p99Ms(), jfr.getFileName())
                + JfrSummary.summarize(jfr, 12, window[0]);
    }

    private String report(Instant started, String loadBefore, List<Result> peaks, List<Result> halves,
                          List<Result> others, List<Soak.Step> soakSteps, String soakNote, String profile)
            throws Exception {
        Workload w = workload;
        StringBuilder sb = new StringBuilder();
        sb.append("# Benchmarks\n\n");
        sb.append("Generated by `").append(commandLine).append("` (").append(started.truncatedTo(ChronoUnit.SECONDS))
                .append(", ").append(Duration.between(started, Instant.now()).toSeconds())
                .append(" s). Regenerate with that one command (it builds the jars when they are missing; "
                        + "after changes, rebuild with `./mvnw -q -B -DskipTests package`). Figures are never "
                        + "asserted in tests.\n\n");
        sb.append("## Machine\n\n");
        sb.append("- CPUs (`nproc`): ").append(Runtime.getRuntime().availableProcessors()).append("; model: ")
                .append(Machine.cpuModel()).append('\n');
        sb.append("- Memory (`free -h`):\n\n```\n").append(Machine.command("free", "-h")).append("\n```\n\n");
        sb.append("- JVM: ").append(Machine.jvm()).append("; broker JVM options: `")
                .append(cluster.brokerJvmOptions).append("`\n");
        sb.append("- nats-server: ").append(Machine.command("nats-server", "--version")).append("; redis-server: ")
                .append(Machine.command("redis-server", "--version")).append('\n');
        sb.append("- Load average (`uptime`) before: ").append(loadBefore).append("; after: ")
                .append(Machine.loadAverage()).append('\n');
        sb.append("- The bench client, the broker and the peers all share this machine's cores; the client uses ")
                .append(cluster.ioThreads()).append(" Netty I/O threads and ").append(w.publishers)
                .append(" publisher threads.\n\n");
        sb.append("## How it is measured\n\n");
        sb.append(String.format(Locale.ROOT, "- Room fan-out: %d subscribers in %d room(s), %d-byte messages, %d "
                        + "publisher threads, %.0f s warmup then %.0f s measured. Each subscriber is its own TCP "
                        + "connection on every system: goim-protocol clients (op 7 Auth, op 9 Raw batches) on "
                        + "imcluster, NATS core-protocol clients on nats-server (one subject per room; for JetStream "
                        + "a file-backed stream and one durable push consumer per subscriber, no acks), RESP "
                        + "SUBSCRIBE clients on Redis (one channel per room).%n", w.subscribers, w.rooms, w.size,
                w.publishers, w.warmup, w.duration));
        sb.append("- Each message carries its send time (System.nanoTime; publishers and subscribers are in the "
                + "bench JVM), so latency is publish call to delivery at the subscriber, recorded in an "
                + "HdrHistogram. Drops = deliveries expected from messages published in the measured window minus "
                + "those received.\n");
        sb.append(String.format(Locale.ROOT, "- \"max\" runs publish as fast as flow control allows: at most %d "
                + "messages published and not yet delivered to every subscriber (and %d unanswered publish calls), "
                + "so every system runs at what it sustains instead of filling its buffers. Then each system runs "
                + "paced at half the publish rate it reached (its own peak), for latency.%n", w.window, w.window));
        sb.append("- The broker is the standalone jar (comet, logic and job in one JVM, in-memory queue) with "
                + "`job.roomBatch.maxDelay: 0` (adaptive room batches: an idle room's message goes out at once, "
                + "what arrives meanwhile forms the next batch); goim's 1 s default would add up to a second of "
                + "latency by design. Every freshly started broker first gets an unmeasured run of up to 5 s at max "
                + "on the publish path used (JIT warmup).\n\n");
        sb.append("## Room fan-out, imcluster and peers\n\n### At peak (max)\n\n").append(Markdown.results(peaks));
        sb.append("\n### At half of each system's peak\n\n").append(Markdown.results(halves));
        sb.append("\n### Ratios\n\nAt peak (deliveries/s matters):\n\n")
                .append(Markdown.ratios(peaks.get(0), peaks.subList(1, peaks.size())));
        sb.append("\nAt half peak (p99 matters; each system at its own half-peak rate):\n\n")
                .append(Markdown.ratios(halves.get(0), halves.subList(1, halves.size())));
        sb.append("\n## Other imcluster scenarios (max)\n\n").append(Markdown.results(others));
        sb.append("\n## Memory per idle connection (soak)\n\n");
        if (soakSteps.isEmpty()) {
            sb.append("Not run.\n");
        } else {
            sb.append("Idle goim TCP connections (Auth, then a heartbeat every 10 s) on a freshly started broker, "
                    + "from source addresses 127.0.0.2, 127.0.0.3, ... (20,000 each). Per-connection figures are "
                    + "growth since the sample before the first connection, divided by the connections; each sample "
                    + "follows a full GC (`jcmd GC.run`). \"Inside\" is the broker's own /metrics (JVM heap, "
                    + "non-heap, NIO direct buffers): Netty's pooled direct memory is not counted there (Netty "
                    + "allocates it without the JDK's accounting), so RSS is the figure that includes it.\n\n");
            sb.append(Soak.markdown(soakSteps));
            if (!soakNote.isEmpty()) {
                sb.append('\n').append(soakNote).append('\n');
            }
        }
        sb.append("\n## Profile\n\n").append(profile == null ? "Not run.\n" : profile);
        sb.append("\n## Targets of issue 9\n\n").append(targets(peaks, halves, soakSteps));
        sb.append('\n').append(operatorScaleSection());
        sb.append("\n## Notes\n\n").append(NOTES_START).append('\n').append(existingNotes()).append(NOTES_END)
                .append('\n');
        return sb.toString();
    }

    private String targets(List<Result> peaks, List<Result> halves, List<Soak.Step> soakSteps)
            throws java.io.IOException {
        StringBuilder sb = new StringBuilder("| Target | Measured | Met |\n|---|---|---|\n");
        Result ours = peaks.get(0);
        Result natsCore = peaks.get(1);
        double ratio = natsCore.deliveriesPerSecond() <= 0 ? 0
                : ours.deliveriesPerSecond() / natsCore.deliveriesPerSecond();
        sb.append(String.format(Locale.ROOT, "| Room deliveries/s at least nats-server core's (ratio >= 1.0) | "
                + "%.2f | %s |%n", ratio, ratio >= 1.0 ? "yes" : "no"));
        double p99 = halves.get(0).p99Ms();
        sb.append(String.format(Locale.ROOT, "| p99 under 10 ms at half of peak | %.2f ms | %s |%n", p99,
                p99 < 10 ? "yes" : "no"));
        if (!soakSteps.isEmpty()) {
            Soak.Step last = soakSteps.get(soakSteps.size() - 1);
            double rss = last.rssPerConnection();
            double inside = last.insidePerConnection();
            sb.append(String.format(Locale.ROOT, "| At most 10 KB per idle connection | %.1f KB (RSS), %.1f KB "
                    + "(heap+non-heap+direct) at %d | %s |%n", rss / 1024, inside / 1024, last.connections(),
                    Math.max(rss, inside) <= 10 * 1024 ? "yes" : "no"));
            sb.append(String.format(Locale.ROOT, "| 50k connections on one comet | %d held | %s |%n",
                    last.connections(), last.connections() >= 50_000 ? "yes" : "not measured here (open-files limit)"));
        }
        Path row = operatorScaleTarget();
        sb.append(Files.exists(row) ? Files.readString(row)
                : "| A new cluster's objects within 1 s of apply | not measured in this run | - |\n");
        return sb.toString();
    }

    private Path operatorScaleTarget() {
        return operatorScale.resolveSibling(operatorScale.getFileName() + ".target");
    }

    private String operatorScaleSection() throws java.io.IOException {
        if (Files.exists(operatorScale)) {
            return Files.readString(operatorScale);
        }
        return "## Operator scale\n\nNot measured in this run (`" + operatorScale + "` is missing): "
                + "`bench/operator-scale.sh` measures it on the local control plane and `bench/run-all.sh` runs it "
                + "before the comparison.\n";
    }

    private String existingNotes() throws Exception {
        if (!Files.exists(doc)) {
            return "";
        }
        String old = Files.readString(doc);
        int a = old.indexOf(NOTES_START);
        int b = old.indexOf(NOTES_END);
        return a < 0 || b < a ? "" : old.substring(a + NOTES_START.length() + 1, b);
    }
}
