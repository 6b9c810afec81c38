package dev.imcluster.bench.cli;

import dev.imcluster.bench.cluster.BrokerChild;
import dev.imcluster.bench.cluster.BrokerEndpoints;
import dev.imcluster.bench.core.Workload;
import dev.imcluster.bench.run.PeakSearch;
import dev.imcluster.bench.run.Plots;
import dev.imcluster.bench.run.Rounds;
import dev.imcluster.bench.run.RoundsReport;
import dev.imcluster.bench.run.Scenarios;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** How systems are compared (a picocli mixin): rounds, the open-loop peak search, and which systems. */
final class MethodOptions {
    /** Systems by option name, in the order they run in each round. */
    /** The room row's name: HTTP push, shipped defaults. */
    static final String ROOM = "imcluster room (HTTP push)";

    /** The room row's fan-out to MQTT clients of comet's MQTT listener instead of goim TCP clients. */
    static final String ROOM_MQTT = ROOM + ", MQTT subscribers";

    /** The topic row's name: gRPC Publish to gRPC Subscribe streams, shipped defaults. */
    static final String TOPIC = "imcluster topic (gRPC Publish)";
    /** What the "topic-batched" row's subscribers ask for: up to this many waiting messages per response. */
    static final int TOPIC_MAX_BATCH = 64;

    /** delivery.history of the history rows: every room (and so every topic) keeps its last 1,000 messages. */
    static final String HISTORY_ALL_ROOMS = "[{pattern: \"*\", size: 1000, ttl: 5m}]";

    /** The rows of the cost of history: the shipped default (no history) and history on, in process and in Redis. */
    static final List<String> HISTORY = List.of("room", "room-history", "room-history-redis", "topic",
            "topic-history", "topic-history-redis");

    /** How a baseline row's name ends: the same row on --baseline-jar. */
    static final String ON_BASELINE = ", on the baseline jar (--baseline-jar)";

    /** The rows of a regression check: room and topic on this build and on the baseline jar. */
    static final List<String> BASELINE = List.of("room", "room-baseline", "topic", "topic-baseline");

    static final List<String> ALL = List.of("room", "room-mqtt", "topic", "topic-batched", "nats", "jetstream", "redis",
            "room-tuned", "key",
            "room-history", "topic-history", "room-history-redis", "topic-history-redis");

    @Option(names = "--rounds", description = "Interleaved rounds per system (default ${DEFAULT-VALUE}).")
    int rounds = 3;

    @Option(names = "--start-rate", description = "Peak search: first offered rate, msg/s (default ${DEFAULT-VALUE}).")
    double startRate = 250;

    @Option(names = "--step-factor", description = "Peak search: rate factor between steps (default ${DEFAULT-VALUE}).")
    double factor = 2;

    @Option(names = "--refine", description = "Peak search: bisections of the last bracket (default ${DEFAULT-VALUE}).")
    int refine = 3;

    @Option(names = "--max-steps", description = "Peak search: at most this many steps (default ${DEFAULT-VALUE}).")
    int maxSteps = 14;

    @Option(names = "--min-delivered", description = "A step is sustained when at least this share of the offered "
            + "rate was published and delivered (default ${DEFAULT-VALUE}).")
    double minRatio = 0.97;

    @Option(names = "--p99-limit-ms", description = "... and its p99 is at most this (default ${DEFAULT-VALUE}).")
    double maxP99Ms = 100;

    @Option(names = "--step-warmup", description = "Peak search: warmup seconds of a step (default ${DEFAULT-VALUE}).")
    double stepWarmup = 1;

    @Option(names = "--step-duration", description = "Peak search: measured seconds of a step "
            + "(default ${DEFAULT-VALUE}); latency runs use --warmup and --duration.")
    double stepDuration = 4;

    @Option(names = "--sweep-subscribers", split = ",", description = "Also find the compared systems' peaks "
            + "(the same rounds and interleaving, no latency runs) at these subscriber counts, for the "
            + "deliveries/s-against-subscribers table and plot (default: none).")
    int[] sweep = {};

    /** What a comparison found: every system at the workload's subscriber count, and the sweep (maybe empty). */
    record Comparison(List<Rounds.Outcome> outcomes, java.util.SortedMap<Integer, List<Rounds.Outcome>> sweep) {
        /** The sweep's table and plot (drawn into {@code dir}), or "" without a sweep. */
        String sweepMarkdown(Path dir) {
            return sweep.isEmpty() ? "" : RoundsReport.sweep(sweep) + "\n" + Plots.drawSweep(dir, sweep);
        }
    }

    /** The named systems through the rounds, then the compared ones through the sweep. */
    Comparison compare(List<String> systems, ClusterOptions cluster, Scenarios s, Workload workload)
            throws Exception {
        List<Rounds.Subject> subjects = subjects(systems, cluster, s);
        Rounds r = new Rounds(System.err);
        List<Rounds.Outcome> outcomes = r.run(subjects, rounds, plan(), step(workload), workload);
        List<Rounds.Outcome> compared = outcomes.stream().filter(o -> o.subject().compared()).toList();
        return new Comparison(outcomes, sweep(r, compared.stream().map(Rounds.Outcome::subject).toList(),
                workload, compared));
    }

    /**
     * The peaks of {@code compared} at every --sweep-subscribers count, with {@code main} (found at the workload's
     * own count) added; empty when there is no sweep.
     */
    private java.util.SortedMap<Integer, List<Rounds.Outcome>> sweep(Rounds rounds, List<Rounds.Subject> compared,
                                                            Workload workload, List<Rounds.Outcome> main)
            throws Exception {
        java.util.SortedMap<Integer, List<Rounds.Outcome>> out = new java.util.TreeMap<>();
        if (sweep.length == 0) {
            return out;
        }
        out.put(workload.subscribers, main);
        for (int subscribers : sweep) {
            Workload w = workload.copy();
            w.subscribers = subscribers;
            w.rooms = Math.min(w.rooms, subscribers);
            w.validate();
            out.put(subscribers, rounds.run(compared, this.rounds, plan(), step(w), null));
        }
        return out;
    }

    PeakSearch.Plan plan() {
        require(rounds >= 1, "--rounds must be at least 1");
        require(startRate > 0 && factor > 1 && maxSteps >= 1 && refine >= 0, "bad peak-search options");
        require(minRatio > 0 && minRatio <= 1, "--min-delivered must be in (0, 1]");
        return new PeakSearch.Plan(startRate, factor, refine, maxSteps, minRatio, maxP99Ms);
    }

    Workload step(Workload w) {
        Workload s = w.copy();
        s.warmup = stepWarmup;
        s.duration = stepDuration;
        return s;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * The named systems. Each publish path is chosen here, before any run, and is its own row: rooms are pushed
     * with HTTP /goim/push/room (goim's room push API), topics with gRPC Publish. Every imcluster row runs with
     * the shipped defaults except "room-tuned" ({@code job.roomBatch.maxMessages: 200}, labelled as not the default) and
     * the history rows ({@code delivery.history} for every room, in process or in Redis, labelled so); "room-mqtt"
     * adds comet's MQTT listener ({@code comet.mqtt.enabled}), off by default, for its subscribers.
     */
    static List<Rounds.Subject> subjects(List<String> names, ClusterOptions cluster, Scenarios s) {
        List<Rounds.Subject> out = new ArrayList<>();
        for (String name : names) {
            out.add(switch (name) {
                case "room" -> new Rounds.Subject(ROOM, true,
                        w -> s.room(cluster.broker(), w, Scenarios.Via.http));
                case "room-mqtt" -> new Rounds.Subject(ROOM_MQTT, false, w -> s.roomMqtt(cluster.variantBroker(
                        "mqtt-broker", Map.of(BrokerChild.MQTT_ENABLED, "true"), false), w));
                case "topic" -> new Rounds.Subject(TOPIC, true,
                        w -> s.topic(cluster.broker(), w));
                case "topic-batched" -> new Rounds.Subject(TOPIC + ", Subscribe max_batch=" + TOPIC_MAX_BATCH
                        + " (the client's opt-in)", false, w -> s.topic(cluster.broker(), w, TOPIC_MAX_BATCH));
                case "nats" -> peer(s, Scenarios.Peer.nats, cluster);
                case "jetstream" -> peer(s, Scenarios.Peer.jetstream, cluster);
                case "redis" -> peer(s, Scenarios.Peer.redis, cluster);
                case "room-tuned" -> new Rounds.Subject(ROOM + ", job.roomBatch.maxMessages=200 "
                        + "(tuned, NOT the default)", false, w -> s.room(cluster.variantBroker("tuned-broker",
                                Map.of("job.roomBatch.maxMessages", "200"), false), w, Scenarios.Via.http));
                case "room-history" -> new Rounds.Subject(historyRow(ROOM, false), false,
                        w -> s.room(historyBroker(cluster, false), w, Scenarios.Via.http));
                case "room-history-redis" -> new Rounds.Subject(historyRow(ROOM, true), false,
                        w -> s.room(historyBroker(cluster, true), w, Scenarios.Via.http));
                case "topic-history" -> new Rounds.Subject(historyRow(TOPIC, false), false,
                        w -> s.topic(historyBroker(cluster, false), w));
                case "topic-history-redis" -> new Rounds.Subject(historyRow(TOPIC, true), false,
                        w -> s.topic(historyBroker(cluster, true), w));
                case "room-baseline" -> new Rounds.Subject(ROOM + ON_BASELINE, false,
                        w -> s.room(cluster.baselineBroker(), w, Scenarios.Via.http));
                case "topic-baseline" -> new Rounds.Subject(TOPIC + ON_BASELINE, false,
                        w -> s.topic(cluster.baselineBroker(), w));
                case "key" -> new Rounds.Subject("imcluster key push (HTTP, one client per push)", false,
                        w -> s.key(cluster.broker(), w));
                default -> throw new IllegalArgumentException("unknown system '" + name + "'; expected one of "
                        + ALL + " or " + BASELINE);
            });
        }
        return out;
    }

    /** A history row's name: the shipped row's name and where its history is. */
    static String historyRow(String row, boolean inRedis) {
        return row + ", history ON " + (inRedis ? "in Redis (logic.sessionStore: redis)" : "in process");
    }

    /** The row a history row is set against: the same workload with the shipped default (no history). */
    static String historyOffRow(String historyRow) {
        return historyRow.substring(0, historyRow.indexOf(", history ON"));
    }

    /**
     * The broker of the history rows: shipped defaults plus delivery.history for every room; in Redis (sessions
     * too, as history lives where sessions are) or in process. Room and topic rows share it, as they share the
     * shipped one.
     */
    private static BrokerEndpoints historyBroker(ClusterOptions cluster, boolean inRedis) {
        return cluster.variantBroker(inRedis ? "history-redis-broker" : "history-broker",
                Map.of("delivery.history", HISTORY_ALL_ROOMS), inRedis);
    }

    private static Rounds.Subject peer(Scenarios s, Scenarios.Peer peer, ClusterOptions cluster) {
        return new Rounds.Subject(peer.label, true, w -> {
            String[] hostPort = peer == Scenarios.Peer.redis ? cluster.redisHostPort() : cluster.natsHostPort();
            long pid = peer == Scenarios.Peer.redis ? cluster.redisPid() : cluster.natsPid();
            return s.peer(peer, hostPort[0], Integer.parseInt(hostPort[1]), pid, w);
        });
    }
}
