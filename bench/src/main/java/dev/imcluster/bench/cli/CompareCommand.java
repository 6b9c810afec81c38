package dev.imcluster.bench.cli;

import dev.imcluster.bench.cluster.BrokerChild;
import dev.imcluster.bench.cluster.BrokerMemory;
import dev.imcluster.bench.core.Result;
import dev.imcluster.bench.core.Workload;
import dev.imcluster.bench.net.ClientLoop;
import dev.imcluster.bench.run.JfrSummary;
import dev.imcluster.bench.run.PeakSearch;
import dev.imcluster.bench.run.Plots;
import dev.imcluster.bench.run.Rounds;
import dev.imcluster.bench.run.RoundsReport;
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
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The whole comparison, written to docs/BENCHMARKS.md: imcluster rooms (HTTP push) and topics (gRPC Publish) and
 * the peers, each through the same interleaved rounds of open-loop peak searches and latency runs at half its own
 * median peak (see {@link Rounds}); a tuned room row and key pushes apart; the connection soak; a JFR profile of
 * the broker under the room load. Hand-written notes between the doc's notes markers survive.
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

    @Option(names = "--doc", description = "The report to write (default ${DEFAULT-VALUE}); --only history "
            + "writes BENCHMARKS-HISTORY.md next to it instead, and leaves it alone.")
    Path doc = Path.of("docs", "BENCHMARKS.md");

    /** Rows that can be run alone. */
    enum Only { history }

    @Option(names = "--only", description = "Run only these rows and write only their section: ${COMPLETION-"
            + "CANDIDATES}. history: the room and topic rows with history off (the shipped default) and on, in "
            + "process and in Redis; no peers, soak or profile.")
    Only only;

    @Option(names = "--soak", split = ",", description = "Soak steps; steps beyond the open-files limit are "
            + "replaced by the largest that fits; empty to skip (default: 10000,50000).")
    int[] soak = {10_000, 50_000};

    @Option(names = "--soak-hold", description = "Seconds each soak step is held (default ${DEFAULT-VALUE}).")
    int soakHold = 10;

    @Option(names = "--profile-seconds", description = "Seconds of JFR profile under the room load at half "
            + "peak; 0 to skip (default ${DEFAULT-VALUE}).")
    int profileSeconds = 15;

    @Mixin
    MethodOptions method;

    @Option(names = "--systems", split = ",", description = "Systems, in the order each round runs them "
            + "(default: room, topic, topic-batched, nats, jetstream, redis, room-tuned, key and the four history rows).")
    List<String> systems = MethodOptions.ALL;

    @Option(names = "--operator-scale", description = "The operator-scale section to include (written by "
            + "bench/operator-scale.sh; default ${DEFAULT-VALUE}); when it is missing the report says so.")
    Path operatorScale = Path.of("target", "bench-work", "operator-scale.md");

    @Option(names = "--command-line", hidden = true, description = "How the report says it was produced.")
    String commandLine = "bench/run-all.sh";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        workload.validate();
        boolean historyOnly = only == Only.history;
        if (historyOnly) {
            doc = docDir().resolve("BENCHMARKS-HISTORY.md");
        }
        if (!spec.commandLine().getParseResult().hasMatchedOption("--command-line")) {
            commandLine = "java -jar bench/target/imcluster-bench.jar "
                    + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        }
        if (historyOnly) {
            systems = MethodOptions.HISTORY;
            soak = new int[0];
            profileSeconds = 0;
        }
        Instant started = Instant.now();
        String loadBefore = Machine.loadAverage();
        MethodOptions.Comparison found;
        List<Rounds.Outcome> outcomes;
        List<Soak.Step> soakSteps = List.of();
        String soakNote = "";
        String profile = null;
        ClusterOptions servers = cluster; // stops what it started, after the client threads
        try (servers; ClientLoop loop = new ClientLoop(cluster.ioThreads())) {
            Scenarios s = new Scenarios(loop, System.err);
            found = method.compare(systems, cluster, s, workload);
            outcomes = found.outcomes();
            historyAppends = historyAppends(cluster);
            cluster.stopBroker(); // the soak and the profile start brokers of their own
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
                    Rounds.Outcome room = find(outcomes, MethodOptions.ROOM);
                    profile = room == null ? "Not run (the room row was not among --systems).\n"
                            : profile(s, room);
                } catch (Exception e) {
                    System.err.println("profile failed: " + e);
                    profile = "The profiled run failed: " + e.getMessage() + "\n";
                }
            }
        }
        String report = historyOnly ? historyReport(started, loadBefore, outcomes)
                : report(started, loadBefore, found, soakSteps, soakNote, profile);
        if (doc.getParent() != null) {
            Files.createDirectories(doc.getParent());
        }
        Files.writeString(doc, report);
        System.out.print(report);
        System.err.println("wrote " + doc.toAbsolutePath());
        return 0;
    }

    /** What each started broker counted in imcluster_history_appended_total, so the report shows history was on. */
    private String historyAppends = "";

    private static String historyAppends(ClusterOptions cluster) {
        StringBuilder sb = new StringBuilder();
        cluster.startedBrokers().forEach((name, b) -> {
            try {
                String metrics = BrokerMemory.scrape(b.host(), b.cometAdmin());
                sb.append(String.format(Locale.ROOT, "`%s` %,d appended, %,d append failures; ", name,
                        BrokerMemory.sum(metrics, "imcluster_history_appended_total", ""),
                        BrokerMemory.sum(metrics, "imcluster_history_append_failures_total", "")));
            } catch (Exception e) {
                sb.append('`').append(name).append("` unknown (").append(e.getMessage()).append("); ");
            }
        });
        return sb.length() == 0 ? "" : sb.substring(0, sb.length() - 2);
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

    /** The room row (HTTP push, shipped defaults) on a fresh broker with JFR, at half its median peak. */
    private String profile(Scenarios s, Rounds.Outcome ours) throws Exception {
        Path jfr = cluster.workDir().resolve("broker-room.jfr").toAbsolutePath();
        Files.createDirectories(jfr.getParent());
        Files.deleteIfExists(jfr);
        BrokerChild broker = cluster.startBroker("profiled-broker", List.of(
                "-XX:StartFlightRecording=filename=" + jfr + ",settings=profile,dumponexit=true"));
        Workload w = workload.withRate(ours.halfRate());
        w.duration = profileSeconds;
        // Unmeasured first, as every system got in the rounds.
        Workload first = workload.withRate(method.startRate);
        first.warmup = 0;
        first.duration = Math.min(5, workload.duration);
        s.room(broker.endpoints(), first, Scenarios.Via.http);
        // Only the measured window counts: not the broker's start, the connects or the warmup.
        Instant[] window = new Instant[1];
        s.onWindow((from, to) -> window[0] = from);
        Result r = s.room(broker.endpoints(), w, Scenarios.Via.http);
        s.onWindow((from, to) -> { });
        broker.close(); // the recording is written as the JVM exits
        if (!Files.exists(jfr)) {
            return "The recording was not written (see " + broker.log() + ").";
        }
        return String.format(Locale.ROOT, "Recorded with `-XX:StartFlightRecording=settings=profile` (the bench's "
                + "`--broker-jvm-opts`) over a %d s room run (HTTP push) at %.0f msg/s (%.0f deliveries/s, "
                + "p99 %.2f ms); "
                + "summarized from `%s` by `JfrSummary` (events of the measured window only).%n%n", profileSeconds,
                w.rate, r.deliveriesPerSecond(), r.p99Ms(), jfr.getFileName())
                + JfrSummary.summarize(jfr, 12, window[0]);
    }

    private String report(Instant started, String loadBefore, MethodOptions.Comparison found,
                          List<Soak.Step> soakSteps, String soakNote, String profile) throws Exception {
        List<Rounds.Outcome> outcomes = found.outcomes();
        Workload w = workload;
        PeakSearch.Plan plan = method.plan();
        StringBuilder sb = new StringBuilder();
        sb.append("# Benchmarks\n\n");
        sb.append("Generated by `").append(commandLine).append("` (").append(started.truncatedTo(ChronoUnit.SECONDS))
                .append(", ").append(Duration.between(started, Instant.now()).toSeconds())
                .append(" s). Regenerate with that one command (it builds the jars when they are missing; "
                        + "after changes, rebuild with `./mvnw -q -B -DskipTests package`). Figures are never "
                        + "asserted in tests.\n\n");
        sb.append(machine(loadBefore));
        sb.append("## How it is measured\n\n");
        sb.append(String.format(Locale.ROOT, "- Fan-out: %d subscribers in %d room(s) (topics, subjects, channels), "
                        + "%d-byte messages. Each subscriber is its own connection on every system: goim-protocol "
                        + "TCP clients (op 7 Auth, op 9 Raw batches) for imcluster rooms and key pushes, gRPC "
                        + "`Subscribe` streams for imcluster topics, NATS core-protocol clients on nats-server (one "
                        + "subject per room; for JetStream a file-backed stream and one durable push consumer per "
                        + "subscriber, no acks), RESP SUBSCRIBE clients on Redis (one channel per room).%n",
                w.subscribers, w.rooms, w.size));
        sb.append("- Each publish path is fixed before the run and is its own row: imcluster rooms are pushed with "
                + "HTTP `/goim/push/room`, topics with gRPC `Publish`; nats-server with jnats, Redis with lettuce. "
                + "The broker runs with its shipped defaults (e.g. adaptive room batches, `job.roomBatch.maxDelay: "
                + "0s`, of up to 20 messages); the one row with `job.roomBatch.maxMessages=200` says so in its name "
                + "and is not the default.\n");
        sb.append(String.format(Locale.ROOT, "- Same treatment for every system: one unmeasured run at %.0f msg/s "
                + "each, then %d rounds, interleaved (A B C D A B C D ...): in each round every system gets an "
                + "open-loop peak search, then, after all rounds, %d interleaved latency runs at half of each "
                + "system's own median peak. Figures are the median over the rounds with (min–max).%n",
                plan.startRate(), method.rounds, method.rounds));
        sb.append(String.format(Locale.ROOT, "- Peak search (open loop: publishers are paced to the offered rate "
                + "and never wait for deliveries): steps of %.0f s measured after %.0f s warmup. A step is sustained "
                + "when it had no errors, published at least %.0f%% of the offered rate, delivered at least %.0f%% "
                + "of what the offered rate should deliver, and its p99 was at most %.0f ms. The search starts at "
                + "%.0f msg/s; until a step is sustained it tries alternately %.1f times higher (while the steps "
                + "keep up, failing at most on p99: batching can make latency worse at low rates) and lower; then "
                + "it multiplies the highest sustained rate by %.1f until a step fails and bisects that bracket "
                + "(geometric mean) %d times; at most %d steps. The peak is the highest sustained rate.%n",
                method.stepDuration, method.stepWarmup, plan.minRatio() * 100, plan.minRatio() * 100,
                plan.maxP99Ms(), plan.startRate(), plan.factor(), plan.factor(), plan.refine(), plan.maxSteps()));
        sb.append(String.format(Locale.ROOT, "- Publishers: %d threads; gRPC, NATS and Redis publish on one "
                + "multiplexed or pipelined connection per thread, HTTP push on %d keep-alive connections (one "
                + "request in flight on each). Latency runs: %.0f s measured after %.0f s warmup.%n",
                w.publishers, w.httpConnections, w.duration, w.warmup));
        sb.append("- Each message carries its send time (System.nanoTime; publishers and subscribers are in the "
                + "bench JVM), so latency is publish call to delivery at the subscriber, recorded in an "
                + "HdrHistogram. Drops = deliveries expected from messages published in the measured window minus "
                + "those received.\n");
        sb.append("- CPU: utime + stime of each server process (all its threads) from `/proc/<pid>/stat` over the "
                + "measured window, as cores (CPU-s per s) and as deliveries per server CPU-second; the bench "
                + "JVM's own CPU the same way, so it is visibly not the limit.\n\n");
        List<Rounds.Outcome> compared = outcomes.stream().filter(o -> o.subject().compared()).toList();
        List<Rounds.Outcome> others = outcomes.stream()
                .filter(o -> !o.subject().compared() && !isHistoryRow(o)).toList();
        sb.append("## imcluster and peers\n\n### Peak (open loop)\n\n").append(RoundsReport.peaks(compared));
        sb.append("\n### At half of each system's own median peak\n\n").append(RoundsReport.halves(compared));
        List<Rounds.Outcome> peers = compared.stream().filter(o -> !isOurs(o)).toList();
        sb.append("\n### Ratios (medians)\n\n");
        for (Rounds.Outcome ours : compared) {
            if (isOurs(ours) && !peers.isEmpty()) {
                sb.append(RoundsReport.ratios(ours, peers)).append('\n');
            }
        }
        sb.append("### Plots\n\n").append(Plots.drawInto(docDir(), compared, w.subscribers));
        sb.append("\n### Peak against subscribers\n\n").append(found.sweep().isEmpty()
                ? "Not run (`--sweep-subscribers`, e.g. `bench/run-all.sh --sweep-subscribers 100,5000`).\n"
                : found.sweepMarkdown(docDir()));
        if (!others.isEmpty()) {
            sb.append("\n## Other imcluster rows\n\n").append(RoundsReport.peaks(others)).append('\n')
                    .append(RoundsReport.halves(others));
        }
        String history = historySection(outcomes);
        if (!history.isEmpty()) {
            sb.append('\n').append(history);
        }
        sb.append("\n## Peak-search steps\n\nOffered msg/s and the verdict of every step:\n\n")
                .append(RoundsReport.traces(outcomes));
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
        sb.append("\n## Targets of issue 9\n\n").append(targets(outcomes, soakSteps));
        sb.append('\n').append(operatorScaleSection());
        sb.append("\n## Notes\n\n").append(NOTES_START).append('\n').append(existingNotes()).append(NOTES_END)
                .append('\n');
        return sb.toString();
    }

    private String machine(String loadBefore) {
        StringBuilder sb = new StringBuilder();
        Workload w = workload;
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
                .append(" publisher threads (its own CPU is in every table).\n\n");
        return sb.toString();
    }

    private Path docDir() {
        Path parent = doc.toAbsolutePath().getParent();
        return parent == null ? Path.of(".") : parent;
    }

    private static boolean isHistoryRow(Rounds.Outcome o) {
        return o.subject().name().contains(", history ON");
    }

    /**
     * The cost of history: each history row against its shipped row (the same workload, no history), or "" when
     * no history row ran.
     */
    private String historySection(List<Rounds.Outcome> outcomes) {
        List<Rounds.Outcome> on = outcomes.stream().filter(CompareCommand::isHistoryRow).toList();
        if (on.isEmpty()) {
            return "";
        }
        List<Rounds.Outcome> rows = new ArrayList<>();
        List<Rounds.Outcome[]> pairs = new ArrayList<>();
        for (Rounds.Outcome o : outcomes) {
            if (isHistoryRow(o)) {
                continue;
            }
            List<Rounds.Outcome> variants = on.stream()
                    .filter(h -> MethodOptions.historyOffRow(h.subject().name()).equals(o.subject().name())).toList();
            if (!variants.isEmpty()) {
                rows.add(o);
                rows.addAll(variants);
                variants.forEach(v -> pairs.add(new Rounds.Outcome[] {v, o}));
            }
        }
        StringBuilder sb = new StringBuilder("## Cost of history\n\n");
        sb.append("Every message has a position (offset, epoch) from the queue whether or not history is on; "
                + "history is opt-in per room pattern (`delivery.history`, none by default). The rows below run "
                + "the same room fan-out (HTTP push to goim TCP clients) and topic fan-out (gRPC `Publish` to gRPC "
                + "`Subscribe` streams) on three brokers: the shipped default (no history), `delivery.history: "
                + "" + MethodOptions.HISTORY_ALL_ROOMS + "` with history in the broker's process "
                + "(MemoryHistoryStore: job appends each room batch before fanning it out), and the same with "
                + "`logic.sessionStore: redis` (RedisHistoryStore: one Lua call per room batch; sessions are in "
                + "that Redis too, so that row's cost includes them; its server CPU is the broker's plus "
                + "redis-server's). Every row goes through the same interleaved rounds as the rest (same rounds "
                + "each, peak search, then latency at half of each row's own median peak).\n\n");
        sb.append("### Peak (open loop)\n\n").append(RoundsReport.peaks(rows));
        sb.append("\n### At half of each row's own median peak\n\n").append(RoundsReport.halves(rows));
        sb.append("\n### History ON against OFF (medians)\n\n")
                .append("| Row | Deliveries/s at peak (ON/OFF) | Deliveries per server CPU-s at peak (ON/OFF) "
                        + "| Deliveries per server CPU-s at half peak (ON/OFF) | p50 at half peak (ON/OFF) "
                        + "| p99 at half peak (ON/OFF) |\n|---|---:|---:|---:|---:|---:|\n");
        for (Rounds.Outcome[] p : pairs) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", p[0].subject().name(),
                    ratio(p[0].atPeak(Result::deliveriesPerSecond), p[1].atPeak(Result::deliveriesPerSecond)),
                    ratio(p[0].atPeak(Result::deliveriesPerServerCpuSecond),
                            p[1].atPeak(Result::deliveriesPerServerCpuSecond)),
                    ratio(p[0].atHalf(Result::deliveriesPerServerCpuSecond),
                            p[1].atHalf(Result::deliveriesPerServerCpuSecond)),
                    ratio(p[0].atHalf(Result::p50Ms), p[1].atHalf(Result::p50Ms)),
                    ratio(p[0].atHalf(Result::p99Ms), p[1].atHalf(Result::p99Ms))));
        }
        if (!historyAppends.isEmpty()) {
            sb.append("\nHistory appends counted by each broker at the end (`imcluster_history_appended_total`; the "
                    + "shared broker is the shipped default, so none): ").append(historyAppends).append(".\n");
        }
        return sb.toString();
    }

    private static String ratio(dev.imcluster.bench.core.Spread on, dev.imcluster.bench.core.Spread off) {
        return off.median() <= 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", on.median() / off.median());
    }

    /** The report of --only history: its own file, with the machine, the method and the history rows only. */
    private String historyReport(Instant started, String loadBefore, List<Rounds.Outcome> outcomes)
            throws Exception {
        PeakSearch.Plan plan = method.plan();
        Workload w = workload;
        StringBuilder sb = new StringBuilder("# Benchmarks: the cost of history\n\n");
        sb.append("Generated by `").append(commandLine).append("` (")
                .append(started.truncatedTo(ChronoUnit.SECONDS)).append(", ")
                .append(Duration.between(started, Instant.now()).toSeconds())
                .append(" s), the history rows of the comparison run alone; `bench/run-all.sh` runs the same rows "
                        + "in docs/BENCHMARKS.md. Figures are never asserted in tests.\n\n");
        sb.append(machine(loadBefore));
        sb.append("## How it is measured\n\n");
        sb.append(String.format(Locale.ROOT, "- %d subscribers in %d room(s), %d-byte messages, %d publisher "
                + "threads (HTTP push on %d keep-alive connections). The method of docs/BENCHMARKS.md and "
                + "bench/README.md: one unmeasured run at %.0f msg/s per row, then %d interleaved rounds of an "
                + "open-loop peak search (steps of %.0f s after %.0f s warmup; sustained: no errors, at least "
                + "%.0f%% published and delivered, p99 at most %.0f ms), then %d interleaved latency runs at half "
                + "of each row's own median peak (%.0f s after %.0f s warmup). Figures are the median over the "
                + "rounds with (min–max). Server CPU is utime + stime from /proc over the measured window.%n%n",
                w.subscribers, w.rooms, w.size, w.publishers, w.httpConnections, plan.startRate(), method.rounds,
                method.stepDuration, method.stepWarmup, plan.minRatio() * 100, plan.maxP99Ms(), method.rounds,
                w.duration, w.warmup));
        sb.append(historySection(outcomes));
        sb.append("\n## Peak-search steps\n\nOffered msg/s and the verdict of every step:\n\n")
                .append(RoundsReport.traces(outcomes));
        sb.append("\n## Notes\n\n").append(NOTES_START).append('\n').append(existingNotes()).append(NOTES_END)
                .append('\n');
        return sb.toString();
    }

    private static boolean isOurs(Rounds.Outcome o) {
        return o.subject().name().startsWith("imcluster");
    }

    private static Rounds.Outcome find(List<Rounds.Outcome> outcomes, String name) {
        return outcomes.stream().filter(o -> o.subject().name().equals(name)).findFirst().orElse(null);
    }

    private String targets(List<Rounds.Outcome> outcomes, List<Soak.Step> soakSteps) throws java.io.IOException {
        StringBuilder sb = new StringBuilder("| Target | Measured (medians) | Met |\n|---|---|---|\n");
        Rounds.Outcome ours = find(outcomes, MethodOptions.ROOM);
        Rounds.Outcome natsCore = find(outcomes, Scenarios.Peer.nats.label);
        if (ours != null && natsCore != null) {
            double theirs = natsCore.atPeak(Result::deliveriesPerSecond).median();
            double ratio = theirs <= 0 ? 0 : ours.atPeak(Result::deliveriesPerSecond).median() / theirs;
            sb.append(String.format(Locale.ROOT, "| Room deliveries/s at peak at least nats-server core's "
                    + "(ratio >= 1.0) | %.2f | %s |%n", ratio, ratio >= 1.0 ? "yes" : "no"));
        }
        if (ours != null) {
            double p99 = ours.atHalf(Result::p99Ms).median();
            sb.append(String.format(Locale.ROOT, "| p99 under 10 ms at half of peak | %.2f ms | %s |%n", p99,
                    p99 < 10 ? "yes" : "no"));
        }
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
