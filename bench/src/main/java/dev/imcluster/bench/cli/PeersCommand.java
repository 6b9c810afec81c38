package dev.imcluster.bench.cli;

import dev.imcluster.bench.core.Markdown;
import dev.imcluster.bench.core.Result;
import dev.imcluster.bench.core.Workload;
import dev.imcluster.bench.run.Scenarios;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "peers", mixinStandardHelpOptions = true,
        description = "The room fan-out on imcluster and on its peers (nats-server core and JetStream, Redis "
                + "pub/sub) with the same P, S, R, M and rate, side by side; with --half also at half of each "
                + "system's peak.")
final class PeersCommand extends FanoutCommand {
    @Option(names = "--systems", split = ",", description = "Any of imcluster, nats, jetstream, redis "
            + "(default: all).")
    List<String> systems = List.of("imcluster", "nats", "jetstream", "redis");

    @Option(names = "--half", description = "Then run each system at half the rate it reached.")
    boolean half;

    @Override
    List<Result> run(Scenarios scenarios) throws Exception {
        List<Result> results = new ArrayList<>();
        for (String s : systems) {
            results.add(runOne(scenarios, s, workload));
        }
        if (half) {
            for (Result peak : new ArrayList<>(results)) {
                results.add(runOne(scenarios, name(peak), workload.withRate(peak.publishedPerSecond() / 2)));
            }
        }
        return results;
    }

    /** The results, then imcluster's ratios to each peer at the same target rate. */
    @Override
    String render(List<Result> results) {
        StringBuilder sb = new StringBuilder(Markdown.results(results));
        for (Result ours : results) {
            if (!ours.system().equals("imcluster")) {
                continue;
            }
            List<Result> peers = results.stream().filter(r -> !r.system().equals("imcluster")
                    && (r.targetRate() <= 0) == (ours.targetRate() <= 0)).toList();
            if (!peers.isEmpty()) {
                sb.append('\n').append(ours.targetRate() <= 0 ? "At max rate:" : "At half of each one's peak:")
                        .append("\n\n").append(Markdown.ratios(ours, peers));
            }
        }
        return sb.toString();
    }

    private Result runOne(Scenarios scenarios, String system, Workload w) throws Exception {
        return switch (system) {
            case "imcluster" -> scenarios.room(cluster.broker(), w, Scenarios.Via.grpc);
            case "nats" -> peer(scenarios, Scenarios.Peer.nats, cluster.natsHostPort(), w);
            case "jetstream" -> peer(scenarios, Scenarios.Peer.jetstream, cluster.natsHostPort(), w);
            case "redis" -> peer(scenarios, Scenarios.Peer.redis, cluster.redisHostPort(), w);
            default -> throw new IllegalArgumentException("unknown system '" + system
                    + "'; expected imcluster, nats, jetstream or redis");
        };
    }

    private static Result peer(Scenarios scenarios, Scenarios.Peer peer, String[] hostPort, Workload w)
            throws Exception {
        return scenarios.peer(peer, hostPort[0], Integer.parseInt(hostPort[1]), w);
    }

    private static String name(Result r) {
        for (Scenarios.Peer p : Scenarios.Peer.values()) {
            if (p.label.equals(r.system())) {
                return p.name();
            }
        }
        return "imcluster";
    }
}
