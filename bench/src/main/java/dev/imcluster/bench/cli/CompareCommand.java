package dev.imcluster.bench.cli;

import dev.imcluster.bench.cluster.BrokerChild;
import dev.imcluster.bench.cluster.BrokerMemory;
import dev.imcluster.bench.core.Result;
import dev.imcluster.bench.core.Workload;
import dev.imcluster.bench.net.ClientLoop;
import dev.imcluster.bench.run.JfrSummary;
import dev.imcluster.bench.run.Rounds;
import dev.imcluster.bench.run.Scenarios;
import dev.imcluster.bench.run.Soak;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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
 * the broker under the room load, written by {@link CompareReport}.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Runs the whole comparison and writes the report (docs/BENCHMARKS.md).")
public final class CompareCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Mixin
    Workload workload;

    @Option(names = "--doc", description = "The report to write (default ${DEFAULT-VALUE}); --only history "
            + "writes BENCHMARKS-HISTORY.md next to it instead, --only baseline BENCHMARKS-BASELINE.md, and they "
            + "leave it alone.")
    Path doc = Path.of("docs", "BENCHMARKS.md");

    /** Rows that can be run alone. */
    enum Only { history, baseline }

    @Option(names = "--only", description = "Run only these rows and write only their section: ${COMPLETION-"
            + "CANDIDATES}. history: the room and topic rows with history off (the shipped default) and on, in "
            + "process and in Redis. baseline: the room and topic rows on this build and on --baseline-jar. "
            + "No peers, soak or profile.")
    Only only;

    @Option(names = "--soak", description = "Soak steps, comma-separated; steps beyond the open-files limit are "
            + "replaced by the largest that fits; empty (--soak=) or none to skip (default: ${DEFAULT-VALUE}).")
    String soakSteps = "10000,50000";
    int[] soak;

    @Option(names = "--soak-hold", description = "Seconds each soak step is held (default ${DEFAULT-VALUE}).")
    int soakHold = 10;

    @Option(names = "--profile-seconds", description = "Seconds of JFR profile under the room load at half "
            + "peak; 0 to skip (default ${DEFAULT-VALUE}).")
    int profileSeconds = 15;

    @Mixin
    MethodOptions method;

    @Option(names = "--systems", split = ",", description = "Systems, in the order each round runs them "
            + "(default: room, room-mqtt, topic, topic-batched, nats, jetstream, redis, room-tuned, key and the four "
            + "history rows).")
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
        if (only != null) {
            doc = CompareReport.docDir(doc).resolve(only == Only.history ? "BENCHMARKS-HISTORY.md"
                    : "BENCHMARKS-BASELINE.md");
        }
        if (!spec.commandLine().getParseResult().hasMatchedOption("--command-line")) {
            commandLine = "java -jar bench/target/imcluster-bench.jar "
                    + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        }
        try {
            soak = soakSteps(soakSteps);
        } catch (NumberFormatException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--soak: expected connection counts like 10000,50000 (or none), got '" + soakSteps + "'");
        }
        if (only != null) {
            systems = only == Only.history ? MethodOptions.HISTORY : MethodOptions.BASELINE;
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
        String historyAppends = "";
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
                    Rounds.Outcome room = CompareReport.find(outcomes, MethodOptions.ROOM);
                    profile = room == null ? "Not run (the room row was not among --systems).\n"
                            : profile(s, room);
                } catch (Exception e) {
                    System.err.println("profile failed: " + e);
                    profile = "The profiled run failed: " + e.getMessage() + "\n";
                }
            }
        }
        CompareReport writer = new CompareReport(workload, method, cluster, commandLine, doc, operatorScale,
                historyAppends);
        String report = only == Only.history ? writer.historyOnly(started, loadBefore, outcomes)
                : only == Only.baseline ? writer.baselineOnly(started, loadBefore, outcomes, cluster.baselineJar,
                        cluster.baselineLeftOut())
                : writer.full(started, loadBefore, found, soakSteps, soakNote, profile);
        if (doc.getParent() != null) {
            Files.createDirectories(doc.getParent());
        }
        Files.writeString(doc, report);
        System.out.print(report);
        System.err.println("wrote " + doc.toAbsolutePath());
        return 0;
    }

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

    /** "10000,50000" as steps; blank or "none": no soak. */
    public static int[] soakSteps(String steps) {
        if (steps == null || steps.isBlank() || steps.trim().equalsIgnoreCase("none")) {
            return new int[0];
        }
        return java.util.Arrays.stream(steps.split(",")).map(String::trim).filter(x -> !x.isEmpty())
                .mapToInt(Integer::parseInt).toArray();
    }
}
