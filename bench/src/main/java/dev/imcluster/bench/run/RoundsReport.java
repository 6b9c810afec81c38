package dev.imcluster.bench.run;

import dev.imcluster.bench.core.Result;
import dev.imcluster.bench.core.Spread;
import java.util.List;
import java.util.Locale;

/** The rounds' outcomes as Markdown: every figure is the median over the rounds with (min–max). */
public final class RoundsReport {
    private RoundsReport() {
    }

    /** Peak (open loop) per system: the rate, what it delivered there and what it cost. */
    public static String peaks(List<Rounds.Outcome> outcomes) {
        StringBuilder sb = new StringBuilder("| System | Publish path | Rounds | Peak msg/s | Deliveries/s at peak "
                + "| p99 ms at peak | Server CPU (cores) | Deliveries per server CPU-s | Bench CPU (cores) |\n"
                + "|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Rounds.Outcome o : outcomes) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s | %s |%n",
                    o.subject().name(), path(o), o.peaks().size(), o.peakRate().format("%.0f"),
                    o.atPeak(Result::deliveriesPerSecond).format("%.0f"), o.atPeak(Result::p99Ms).format("%.1f"),
                    o.atPeak(Result::serverCores).format("%.2f"),
                    o.atPeak(Result::deliveriesPerServerCpuSecond).format("%.0f"),
                    o.atPeak(Result::benchCores).format("%.2f")));
        }
        return sb.toString();
    }

    /** Latency per system at half of its own median peak. */
    public static String halves(List<Rounds.Outcome> outcomes) {
        return latency(outcomes, Rounds.Outcome::halves, o -> String.format(Locale.ROOT, "%.0f%s", o.halfRate(),
                o.peakRate().median() <= 0 ? " (no sustained peak: half the start rate)" : ""));
    }

    /** Latency of every compared system at the one common rate; empty when the rounds ran none. */
    public static String sames(List<Rounds.Outcome> outcomes) {
        List<Rounds.Outcome> ran = outcomes.stream().filter(o -> !o.sames().isEmpty()).toList();
        return ran.isEmpty() ? "" : latency(ran, Rounds.Outcome::sames,
                o -> String.format(Locale.ROOT, "%.0f", o.sameRate()));
    }

    /** Latency per system at {@link Rounds#IDLE_RATE}, one message at a time; empty when the rounds ran none. */
    public static String idles(List<Rounds.Outcome> outcomes) {
        List<Rounds.Outcome> ran = outcomes.stream().filter(o -> !o.idles().isEmpty()).toList();
        return ran.isEmpty() ? "" : latency(ran, Rounds.Outcome::idles,
                o -> String.format(Locale.ROOT, "%.0f", Rounds.IDLE_RATE));
    }

    private static String latency(List<Rounds.Outcome> outcomes,
                                  java.util.function.Function<Rounds.Outcome, List<Result>> runs,
                                  java.util.function.Function<Rounds.Outcome, String> rate) {
        StringBuilder sb = new StringBuilder("| System | Rate msg/s | Deliveries/s | p50 ms | p99 ms | p99.9 ms "
                + "| max ms | Deliveries per server CPU-s | Server CPU (cores) | Bench CPU (cores) | Drops | Errors |\n"
                + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Rounds.Outcome o : outcomes) {
            List<Result> results = runs.apply(o);
            java.util.function.Function<java.util.function.ToDoubleFunction<Result>, Spread> of =
                    f -> Spread.of(results.stream().mapToDouble(f).toArray());
            long drops = results.stream().mapToLong(Result::drops).sum();
            long errors = results.stream().mapToLong(Result::errors).sum();
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %d |%n",
                    o.subject().name(), rate.apply(o),
                    of.apply(Result::deliveriesPerSecond).format("%.0f"), of.apply(Result::p50Ms).format("%.2f"),
                    of.apply(Result::p99Ms).format("%.2f"), of.apply(Result::p999Ms).format("%.2f"),
                    of.apply(Result::maxMs).format("%.1f"),
                    of.apply(Result::deliveriesPerServerCpuSecond).format("%.0f"),
                    of.apply(Result::serverCores).format("%.2f"), of.apply(Result::benchCores).format("%.2f"),
                    drops, errors));
        }
        return sb.toString();
    }

    /**
     * {@code ours} over each peer, by medians: peak deliveries/s, deliveries per CPU-s, p99 at half peak, at the
     * common rate and idle (n/a where a phase did not run).
     */
    public static String ratios(Rounds.Outcome ours, List<Rounds.Outcome> peers) {
        StringBuilder sb = new StringBuilder("| " + ours.subject().name() + " against | Deliveries/s at peak "
                + "| Deliveries per server CPU-s at peak | p99 at half peak (lower is better) "
                + "| p99 at the same rate (lower is better) | p99 idle (lower is better) |\n"
                + "|---|---:|---:|---:|---:|---:|\n");
        for (Rounds.Outcome p : peers) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", p.subject().name(),
                    ratio(ours.atPeak(Result::deliveriesPerSecond), p.atPeak(Result::deliveriesPerSecond)),
                    ratio(ours.atPeak(Result::deliveriesPerServerCpuSecond),
                            p.atPeak(Result::deliveriesPerServerCpuSecond)),
                    ratio(ours.atHalf(Result::p99Ms), p.atHalf(Result::p99Ms)),
                    ratio(ours.atSame(Result::p99Ms), p.atSame(Result::p99Ms)),
                    ratio(ours.atIdle(Result::p99Ms), p.atIdle(Result::p99Ms))));
        }
        return sb.toString();
    }

    /** Median deliveries/s at peak (min–max) per system and subscriber count. */
    public static String sweep(java.util.SortedMap<Integer, List<Rounds.Outcome>> bySubscribers) {
        StringBuilder sb = new StringBuilder("| Subscribers | System | Peak msg/s | Deliveries/s at peak "
                + "| Deliveries per server CPU-s | Bench CPU (cores) |\n|---:|---|---:|---:|---:|---:|\n");
        bySubscribers.forEach((subscribers, outcomes) -> {
            for (Rounds.Outcome o : outcomes) {
                sb.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s |%n", subscribers,
                        o.subject().name(), o.peakRate().format("%.0f"),
                        o.atPeak(Result::deliveriesPerSecond).format("%.0f"),
                        o.atPeak(Result::deliveriesPerServerCpuSecond).format("%.0f"),
                        o.atPeak(Result::benchCores).format("%.2f")));
            }
        });
        return sb.toString();
    }

    /** Every peak search's steps, so the stopping points can be checked. */
    public static String traces(List<Rounds.Outcome> outcomes) {
        StringBuilder sb = new StringBuilder();
        for (Rounds.Outcome o : outcomes) {
            for (int i = 0; i < o.peaks().size(); i++) {
                sb.append("- ").append(o.subject().name()).append(", round ").append(i + 1).append(": ")
                        .append(o.peaks().get(i).trace()).append('\n');
            }
        }
        return sb.toString();
    }

    private static String path(Rounds.Outcome o) {
        return o.halves().isEmpty() ? "" : o.halves().get(0).publishPath();
    }

    private static String ratio(Spread a, Spread b) {
        return b.median() <= 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", a.median() / b.median());
    }
}
