package dev.imcluster.bench.cli;

import dev.imcluster.bench.core.Markdown;
import dev.imcluster.bench.core.Result;
import dev.imcluster.bench.core.Workload;
import dev.imcluster.bench.net.ClientLoop;
import dev.imcluster.bench.run.Scenarios;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** A fan-out scenario command: runs, prints the Markdown table and writes it to --out. Exit 1 on errors. */
abstract class FanoutCommand implements Callable<Integer> {
    @Mixin
    ClusterOptions cluster;

    @Mixin
    Workload workload;

    @Option(names = "--out", description = "Also write the table to this file (default ${DEFAULT-VALUE}).")
    Path out = Path.of("bench-results.md");

    abstract List<Result> run(Scenarios scenarios) throws Exception;

    /** The Markdown written for the results. */
    String render(List<Result> results) {
        return Markdown.results(results);
    }

    @Override
    public Integer call() throws Exception {
        workload.validate();
        List<Result> results;
        ClusterOptions servers = cluster; // stops what it started, after the client threads
        try (servers; ClientLoop loop = new ClientLoop(cluster.ioThreads())) {
            results = run(new Scenarios(loop, System.err));
        }
        String table = render(results);
        System.out.print(table);
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.writeString(out, table);
        return results.stream().anyMatch(r -> r.errors() > 0) ? 1 : 0;
    }
}
