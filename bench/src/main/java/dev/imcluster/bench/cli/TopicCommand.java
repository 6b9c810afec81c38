package dev.imcluster.bench.cli;

import dev.imcluster.bench.core.Result;
import dev.imcluster.bench.run.Scenarios;
import java.util.List;
import picocli.CommandLine.Command;

@Command(name = "topic", mixinStandardHelpOptions = true,
        description = "Topic pub/sub over gRPC: S PubSubService.Subscribe streams on comet, R topics, "
                + "publishers call PubSubService.Publish on logic.")
final class TopicCommand extends FanoutCommand {
    @Override
    List<Result> run(Scenarios scenarios) throws Exception {
        return List.of(scenarios.topic(cluster.broker(), workload));
    }
}
