package dev.imcluster.bench;

import dev.imcluster.bench.cli.Commands;
import picocli.CommandLine;

/** {@code java -jar imcluster-bench.jar <room|topic|key|soak|peers|compare> [options]}. */
public final class BenchMain {
    private BenchMain() {
    }

    public static void main(String[] args) {
        System.exit(Commands.commandLine().execute(args));
    }
}
