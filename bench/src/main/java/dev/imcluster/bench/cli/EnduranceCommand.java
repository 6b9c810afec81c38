package dev.imcluster.bench.cli;

import dev.imcluster.bench.net.ClientLoop;
import dev.imcluster.bench.run.Endurance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "endurance", mixinStandardHelpOptions = true,
        description = "A time-bounded soak: N goim connections with heartbeats, a steady room publish and periodic "
                + "reconnect churn; samples the broker's live heap, direct memory, RSS, threads, open fds and "
                + "connections, and fails (exit 1) when one grows beyond its bound or a connection leaks.")
final class EnduranceCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Option(names = {"-n", "--connections"}, description = "Connections (default ${DEFAULT-VALUE}).")
    int connections = 2000;

    @Option(names = {"-r", "--rooms"}, description = "Rooms (default ${DEFAULT-VALUE}).")
    int rooms = 50;

    @Option(names = "--heartbeat", description = "Client heartbeat in seconds (default ${DEFAULT-VALUE}).")
    int heartbeatSeconds = 10;

    @Option(names = "--rate", description = "Room pushes per second, in total (default ${DEFAULT-VALUE}).")
    int rate = 200;

    @Option(names = {"-m", "--size"}, description = "Message size in bytes (default ${DEFAULT-VALUE}).")
    int size = 128;

    @Option(names = "--churn", description = "Fraction of the connections that reconnect each churn period "
            + "(default ${DEFAULT-VALUE}).")
    double churn = 0.05;

    @Option(names = "--churn-every", description = "Churn period in seconds (default ${DEFAULT-VALUE}).")
    int churnEverySeconds = 10;

    @Option(names = {"-d", "--duration"}, description = "Seconds to run (default ${DEFAULT-VALUE}: 30 minutes).")
    int durationSeconds = 1800;

    @Option(names = {"-w", "--warmup"}, description = "Seconds before the baseline sample (default ${DEFAULT-VALUE}).")
    int warmupSeconds = 60;

    @Option(names = "--sample", description = "Seconds between samples (default ${DEFAULT-VALUE}).")
    int sampleSeconds = 30;

    @Option(names = "--max-heap-growth-mib", description = "Bound on live heap growth (default ${DEFAULT-VALUE}).")
    long maxHeapMib = 32;

    @Option(names = "--max-direct-growth-mib", description = "Bound on direct memory growth (default "
            + "${DEFAULT-VALUE}).")
    long maxDirectMib = 16;

    @Option(names = "--max-rss-growth-mib", description = "Bound on RSS growth (default ${DEFAULT-VALUE}).")
    long maxRssMib = 160;

    @Option(names = "--max-thread-growth", description = "Bound on thread count growth (default ${DEFAULT-VALUE}).")
    int maxThreads = 8;

    @Option(names = "--max-fd-growth", description = "Bound on the growth of open fds beside client connections "
            + "(default ${DEFAULT-VALUE}).")
    int maxFds = 32;

    @Option(names = "--out", description = "Also write the table to this file (default ${DEFAULT-VALUE}).")
    Path out = Path.of("bench-endurance.md");

    @Override
    public Integer call() throws Exception {
        Endurance.Plan plan = new Endurance.Plan(connections, rooms, Duration.ofSeconds(heartbeatSeconds), rate, size,
                Duration.ofSeconds(churnEverySeconds), churn, Duration.ofSeconds(durationSeconds),
                Duration.ofSeconds(warmupSeconds), Duration.ofSeconds(sampleSeconds),
                new Endurance.Bounds(maxHeapMib << 20, maxDirectMib << 20, maxRssMib << 20, maxThreads, maxFds, 0.99));
        Endurance.Report report;
        ClusterOptions servers = cluster;
        try (servers; ClientLoop loop = new ClientLoop(cluster.ioThreads())) {
            report = new Endurance(loop, System.err).run(cluster.broker(), plan);
        }
        String table = Endurance.markdown(report);
        System.out.print(table);
        Files.writeString(out, table);
        return report.passed() ? 0 : 1;
    }
}
