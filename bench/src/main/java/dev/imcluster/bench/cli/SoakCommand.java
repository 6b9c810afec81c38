package dev.imcluster.bench.cli;

import dev.imcluster.bench.net.ClientLoop;
import dev.imcluster.bench.run.Soak;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "soak", mixinStandardHelpOptions = true,
        description = "Idle goim connections with heartbeats, in steps, spread over loopback source addresses; "
                + "reports comet's memory per connection from its /metrics and from its RSS.")
final class SoakCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Option(names = {"-n", "--connections"}, split = ",", description = "Ascending connection counts "
            + "(default: 10000,50000).")
    int[] connections = {10_000, 50_000};

    @Option(names = "--heartbeat", description = "Client heartbeat interval in seconds (default ${DEFAULT-VALUE}).")
    int heartbeatSeconds = 10;

    @Option(names = "--hold", description = "Seconds each step is held before sampling (default ${DEFAULT-VALUE}).")
    int holdSeconds = 15;

    @Option(names = "--out", description = "Also write the table to this file (default ${DEFAULT-VALUE}).")
    Path out = Path.of("bench-soak.md");

    @Override
    public Integer call() throws Exception {
        List<Soak.Step> steps;
        ClusterOptions servers = cluster; // stops what it started, after the client threads
        try (servers; ClientLoop loop = new ClientLoop(cluster.ioThreads())) {
            steps = new Soak(loop, System.err).run(cluster.broker(), connections,
                    Duration.ofSeconds(heartbeatSeconds), Duration.ofSeconds(holdSeconds));
        }
        String table = Soak.markdown(steps);
        System.out.print(table);
        Files.writeString(out, table);
        return steps.stream().anyMatch(s -> s.disconnected() > 0) ? 1 : 0;
    }
}
