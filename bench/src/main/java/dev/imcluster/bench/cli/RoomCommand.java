package dev.imcluster.bench.cli;

import dev.imcluster.bench.core.Result;
import dev.imcluster.bench.run.Scenarios;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "room", mixinStandardHelpOptions = true,
        description = "Room broadcast fan-out: S goim TCP clients in R rooms; publishers push with gRPC Publish "
                + "(a topic is a room) or HTTP /goim/push/room.")
final class RoomCommand extends FanoutCommand {
    @Option(names = "--via", description = "grpc or http (default ${DEFAULT-VALUE}).")
    Scenarios.Via via = Scenarios.Via.grpc;

    @Override
    List<Result> run(Scenarios scenarios) throws Exception {
        return List.of(scenarios.room(cluster.broker(), workload, via));
    }
}
