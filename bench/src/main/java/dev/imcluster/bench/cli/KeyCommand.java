package dev.imcluster.bench.cli;

import dev.imcluster.bench.core.Result;
import dev.imcluster.bench.run.Scenarios;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "key", mixinStandardHelpOptions = true,
        description = "Push by key: S goim TCP clients, each sent its own messages through HTTP /goim/push/keys "
                + "(--rooms is ignored: one target per subscriber).")
final class KeyCommand extends FanoutCommand {
    @Override
    List<Result> run(Scenarios scenarios) throws Exception {
        return List.of(scenarios.key(cluster.broker(), workload));
    }
}
