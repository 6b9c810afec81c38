package dev.imcluster.bench.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The bench's command line: one subcommand per scenario, plus compare (the whole comparison and its report). */
@Command(name = "imcluster-bench", mixinStandardHelpOptions = true,
        description = "Drives a running imcluster (by default one it starts: the standalone broker jar, and "
                + "nats-server and redis-server for the peers) and reports deliveries/s, publish-to-deliver "
                + "latency and drops as Markdown. The bench shares the machine with what it measures.",
        subcommands = {RoomCommand.class, TopicCommand.class, KeyCommand.class, SoakCommand.class,
                EnduranceCommand.class,
                PeersCommand.class, CompareCommand.class, OperatorScaleCommand.class})
public final class Commands implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Commands());
        // bench/run-all.sh passes its own --duration etc. first; options given after them win.
        cl.setOverwrittenOptionsAllowed(true);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("error: " + e.getMessage());
            if (e instanceof IllegalArgumentException) {
                return 2;
            }
            e.printStackTrace(cmd.getErr());
            return 1;
        });
        return cl;
    }
}
