package dev.imcluster.bench.run;

import dev.imcluster.bench.core.Result;
import dev.imcluster.bench.core.Spread;
import dev.imcluster.bench.core.Workload;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The same treatment for every system: each gets one unmeasured run at the start rate, then {@code rounds} open-loop
 * peak searches and {@code rounds} latency runs at half of its own median peak, interleaved (A B C D A B C D ...),
 * so a drift of the shared machine's load touches every system alike. Two more latency phases compare like with
 * like: {@code rounds} runs of every compared system at one common rate (half the lowest median peak among them),
 * and {@code rounds} runs at {@link #IDLE_RATE}, one message at a time (what an occasional push costs).
 */
public final class Rounds {
    /** Runs a system once with a workload (its rate is the offered rate). */
    public interface Runner {
        Result run(Workload w) throws Exception;
    }

    /** A system under test; {@code compared} systems are set against each other, the others are reported alone. */
    public record Subject(String name, boolean compared, Runner runner) {
    }

    /** The offered rate of the idle phase: a message every 50 ms, each delivered long before the next is sent. */
    public static final double IDLE_RATE = 20;

    /**
     * What the rounds found for one subject: {@code sames} at {@code sameRate} (compared subjects only; 0 and empty
     * otherwise) and {@code idles} at {@link #IDLE_RATE}.
     */
    public record Outcome(Subject subject, List<PeakSearch.Peak> peaks, double halfRate, List<Result> halves,
                          double sameRate, List<Result> sames, List<Result> idles) {
        public Outcome(Subject subject, List<PeakSearch.Peak> peaks, double halfRate, List<Result> halves) {
            this(subject, peaks, halfRate, halves, 0, List.of(), List.of());
        }

        public Spread peakRate() {
            return spread(peaks, PeakSearch.Peak::rate);
        }

        /** A figure of the peak runs (rounds without a sustained rate count as 0). */
        public Spread atPeak(ToDoubleFunction<Result> figure) {
            return spread(peaks, p -> p.result() == null ? 0 : figure.applyAsDouble(p.result()));
        }

        public Spread atHalf(ToDoubleFunction<Result> figure) {
            return spread(halves, figure);
        }

        public Spread atSame(ToDoubleFunction<Result> figure) {
            return spread(sames, figure);
        }

        public Spread atIdle(ToDoubleFunction<Result> figure) {
            return spread(idles, figure);
        }

        private static <T> Spread spread(List<T> items, ToDoubleFunction<T> f) {
            return Spread.of(items.stream().mapToDouble(f).toArray());
        }
    }

    private final PrintStream progress;

    public Rounds(PrintStream progress) {
        this.progress = progress;
    }

    /** {@code rounds} passes over {@code subjects} in the same order: A B C A B C ... */
    public static <T> List<T> interleave(List<T> subjects, int rounds) {
        List<T> order = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            order.addAll(subjects);
        }
        return order;
    }

    /**
     * @param step the workload of a peak-search step (its rate is set per step)
     * @param latency the workload of a latency run (its rate is set to half the subject's median peak, to the common
     *     rate, and to {@link #IDLE_RATE}); null for peaks only (no latency runs: the outcomes' halves, sames and
     *     idles are empty)
     */
    public List<Outcome> run(List<Subject> subjects, int rounds, PeakSearch.Plan plan, Workload step,
                             Workload latency) throws Exception {
        for (Subject s : subjects) {
            progress.println("== " + s.name() + ": unmeasured first run at " + plan.startRate() + " msg/s");
            attempt(s, step.withRate(plan.startRate()));
        }
        Map<Subject, List<PeakSearch.Peak>> peaks = new LinkedHashMap<>();
        int n = 0;
        for (Subject s : interleave(subjects, rounds)) {
            progress.println("== peak search " + (n++ / subjects.size() + 1) + "/" + rounds + ": " + s.name()
                    + ", " + step.subscribers + " subscribers");
            PeakSearch.Peak p = PeakSearch.search(rate -> attempt(s, step.withRate(rate)), plan);
            progress.println("== " + s.name() + ": " + p.trace());
            peaks.computeIfAbsent(s, k -> new ArrayList<>()).add(p);
        }
        Map<Subject, Double> halfRates = new LinkedHashMap<>();
        for (Subject s : subjects) {
            double median = Spread.of(peaks.get(s).stream().mapToDouble(PeakSearch.Peak::rate).toArray()).median();
            // No sustained rate at all: still measure latency, at half the start rate, and say so in the report.
            halfRates.put(s, (median > 0 ? median : plan.startRate()) / 2);
        }
        Map<Subject, List<Result>> halves = new LinkedHashMap<>();
        n = 0;
        for (Subject s : latency == null ? List.<Subject>of() : interleave(subjects, rounds)) {
            progress.println("== half peak " + (n++ / subjects.size() + 1) + "/" + rounds + ": " + s.name());
            halves.computeIfAbsent(s, k -> new ArrayList<>()).add(attempt(s, latency.withRate(halfRates.get(s))));
        }
        // One rate for every compared system: half the lowest median peak among them, so each runs the same load.
        double sameRate = subjects.stream().filter(Subject::compared).mapToDouble(halfRates::get).min().orElse(0);
        Map<Subject, List<Result>> sames = new LinkedHashMap<>();
        List<Subject> compared = subjects.stream().filter(Subject::compared).toList();
        n = 0;
        for (Subject s : latency == null || sameRate <= 0 ? List.<Subject>of() : interleave(compared, rounds)) {
            progress.println("== same rate " + (n++ / compared.size() + 1) + "/" + rounds + ": " + s.name() + " at "
                    + sameRate + " msg/s");
            sames.computeIfAbsent(s, k -> new ArrayList<>()).add(attempt(s, latency.withRate(sameRate)));
        }
        Map<Subject, List<Result>> idles = new LinkedHashMap<>();
        n = 0;
        for (Subject s : latency == null ? List.<Subject>of() : interleave(subjects, rounds)) {
            progress.println("== idle " + (n++ / subjects.size() + 1) + "/" + rounds + ": " + s.name());
            idles.computeIfAbsent(s, k -> new ArrayList<>()).add(attempt(s, latency.withRate(IDLE_RATE)));
        }
        List<Outcome> out = new ArrayList<>();
        for (Subject s : subjects) {
            boolean same = sames.containsKey(s);
            out.add(new Outcome(s, peaks.get(s), halfRates.get(s), halves.getOrDefault(s, List.of()),
                    same ? sameRate : 0, sames.getOrDefault(s, List.of()), idles.getOrDefault(s, List.of())));
        }
        return out;
    }

    /** One run; a failure becomes a failed result (one error) rather than ending the comparison. */
    private Result attempt(Subject s, Workload w) {
        try {
            return s.runner().run(w).named(s.name());
        } catch (Exception e) {
            progress.println(s.name() + " failed: " + e);
            return Result.failed("room", s.name(), w, e);
        }
    }
}
