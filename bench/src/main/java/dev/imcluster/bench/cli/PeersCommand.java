package dev.imcluster.bench.cli;

import dev.imcluster.bench.net.ClientLoop;
import dev.imcluster.bench.run.Plots;
import dev.imcluster.bench.run.Rounds;
import dev.imcluster.bench.run.RoundsReport;
import dev.imcluster.bench.run.Scenarios;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "peers", mixinStandardHelpOptions = true,
        description = "imcluster and its peers (nats-server core and JetStream, Redis pub/sub) with the same S, R "
                + "and M, the same treatment for each: interleaved rounds of an open-loop peak search, then latency "
                + "at half of each one's median peak; median (min–max) of the rounds.")
final class PeersCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Mixin
    dev.imcluster.bench.core.Workload workload;

    @Mixin
    MethodOptions method;

    @Option(names = "--systems", split = ",", description = "Any of room, room-mqtt, topic, "
            + "topic-batched, nats, jetstream, redis, room-tuned, key, in the order each round runs them (default: "
            + "room, topic, nats, jetstream, redis).")
    List<String> systems = List.of("room", "topic", "nats", "jetstream", "redis");

    @Option(names = "--out", description = "Also write the tables to this file (default ${DEFAULT-VALUE}).")
    Path out = Path.of("bench-results.md");

    @Override
    public Integer call() throws Exception {
        workload.validate();
        MethodOptions.Comparison found;
        ClusterOptions servers = cluster; // stops what it started, after the client threads
        try (servers; ClientLoop loop = new ClientLoop(cluster.ioThreads())) {
            found = method.compare(systems, cluster, new Scenarios(loop, System.err), workload);
        }
        List<Rounds.Outcome> outcomes = found.outcomes();
        Path dir = out.toAbsolutePath().getParent() == null ? Path.of(".") : out.toAbsolutePath().getParent();
        String md = render(outcomes) + "\n" + Plots.drawInto(dir, outcomes, workload.subscribers)
                + (found.sweep().isEmpty() ? "" : "\nPeaks against subscribers:\n\n" + found.sweepMarkdown(dir));
        System.out.print(md);
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.writeString(out, md);
        return outcomes.stream().flatMap(o -> o.halves().stream()).anyMatch(r -> r.errors() > 0) ? 1 : 0;
    }

    static String render(List<Rounds.Outcome> outcomes) {
        StringBuilder sb = new StringBuilder("Peak (open loop), median (min–max) of the rounds:\n\n")
                .append(RoundsReport.peaks(outcomes))
                .append("\nAt half of each system's own median peak:\n\n").append(RoundsReport.halves(outcomes))
                .append(CompareReport.sameAndIdle(outcomes.stream().filter(o -> o.subject().compared()).toList()));
        List<Rounds.Outcome> compared = outcomes.stream().filter(o -> o.subject().compared()).toList();
        List<Rounds.Outcome> peers = compared.stream().filter(o -> !o.subject().name().startsWith("imcluster"))
                .toList();
        for (Rounds.Outcome ours : compared) {
            if (ours.subject().name().startsWith("imcluster") && !peers.isEmpty()) {
                sb.append('\n').append(RoundsReport.ratios(ours, peers));
            }
        }
        sb.append("\nPeak-search steps (offered msg/s and the verdict):\n\n").append(RoundsReport.traces(outcomes));
        return sb.toString();
    }

}
