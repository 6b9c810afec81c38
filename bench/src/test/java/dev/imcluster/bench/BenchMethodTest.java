package dev.imcluster.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.bench.core.ProcCpu;
import dev.imcluster.bench.core.Result;
import dev.imcluster.bench.core.Spread;
import dev.imcluster.bench.run.PeakSearch;
import dev.imcluster.bench.run.Plots;
import dev.imcluster.bench.run.Rounds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The comparison method's machinery, without servers: the interleaving order, median/min/max, the open-loop peak
 * search's stopping rule on a fake system, /proc CPU parsing, drawing the plots. Figures are never asserted.
 */
class BenchMethodTest {
    @Test
    void roundsInterleaveTheSystems() {
        assertThat(Rounds.interleave(List.of("A", "B", "C", "D"), 3))
                .containsExactly("A", "B", "C", "D", "A", "B", "C", "D", "A", "B", "C", "D");
    }

    /**
     * After the peaks and the half-peak runs, every compared system runs at one common rate (half the lowest median
     * peak among them) and every system at the idle rate; a system reported alone gets no common-rate runs.
     */
    @Test
    void latencyRunsAtOneCommonRateAndIdleAfterTheHalfPeakRuns() throws Exception {
        PeakSearch.Plan plan = new PeakSearch.Plan(100, 2, 1, 6, 0.97, 100);
        java.util.Map<String, List<Double>> offered = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.function.Function<String, Rounds.Runner> system = name -> w -> {
            offered.computeIfAbsent(name, k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(w.rate);
            return fake(w.rate, name.equals("slow") ? 400 : 1600, 5);
        };
        List<Rounds.Subject> subjects = List.of(new Rounds.Subject("fast", true, system.apply("fast")),
                new Rounds.Subject("slow", true, system.apply("slow")),
                new Rounds.Subject("alone", false, system.apply("alone")));
        dev.imcluster.bench.core.Workload w = new dev.imcluster.bench.core.Workload();
        List<Rounds.Outcome> outcomes = new Rounds(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
                .run(subjects, 2, plan, w, w);
        Rounds.Outcome fast = outcomes.get(0);
        Rounds.Outcome slow = outcomes.get(1);
        Rounds.Outcome alone = outcomes.get(2);
        assertThat(slow.halfRate()).isLessThan(fast.halfRate());
        assertThat(fast.sameRate()).isEqualTo(slow.halfRate());
        assertThat(slow.sameRate()).isEqualTo(slow.halfRate());
        assertThat(fast.sames()).hasSize(2).allSatisfy(r -> assertThat(r.targetRate()).isEqualTo(slow.halfRate()));
        assertThat(alone.sames()).isEmpty();
        assertThat(alone.sameRate()).isZero();
        for (Rounds.Outcome o : outcomes) {
            assertThat(o.idles()).hasSize(2)
                    .allSatisfy(r -> assertThat(r.targetRate()).isEqualTo(Rounds.IDLE_RATE));
        }
        // the idle runs come last, after the common-rate ones
        List<Double> fastRates = offered.get("fast");
        assertThat(fastRates.subList(fastRates.size() - 4, fastRates.size()))
                .containsExactly(slow.halfRate(), slow.halfRate(), Rounds.IDLE_RATE, Rounds.IDLE_RATE);
    }

    @Test
    void spreadIsMedianMinMax() {
        assertThat(Spread.of(5, 1, 3)).isEqualTo(new Spread(3, 1, 5));
        assertThat(Spread.of(4, 1, 2, 10)).isEqualTo(new Spread(3, 1, 10));
        assertThat(Spread.of(7)).isEqualTo(new Spread(7, 7, 7));
        assertThat(new Spread(3, 1, 5).format("%.0f")).isEqualTo("3 (1–5)");
    }

    /** A fake system of 10 subscribers that delivers up to {@code capacity} msg/s and then drops the rest. */
    static Result fake(double rate, double capacity, double p99) {
        double seconds = 4;
        long sent = (long) (rate * seconds);
        long delivered = (long) (Math.min(rate, capacity) * seconds) * 10;
        return new Result("room", "fake", 1, 10, 1, 100, rate, seconds, sent, sent * 10, delivered, 0, 1, p99, p99,
                p99, "fake", 1, 0.1);
    }

    @Test
    void peakSearchStopsWhereDeliveriesFallBehindAndRefines() throws Exception {
        PeakSearch.Plan plan = new PeakSearch.Plan(100, 2, 3, 14, 0.97, 100);
        PeakSearch.Peak peak = PeakSearch.search(rate -> fake(rate, 1000, 5), plan);
        // 100, 200, 400, 800 sustained; 1600 delivers 62%; then sqrt-bisections of [800, 1600].
        assertThat(peak.steps()).extracting(s -> Math.round(s.rate()))
                .containsExactly(100L, 200L, 400L, 800L, 1600L, 1131L, 951L, 1037L);
        assertThat(peak.steps()).extracting(PeakSearch.Step::sustained)
                .containsExactly(true, true, true, true, false, false, true, false);
        assertThat(peak.rate()).isCloseTo(951, Offset.offset(1.0));
        assertThat(peak.steps().get(4).failure()).startsWith("delivered 62");
    }

    @Test
    void peakSearchStopsOnP99AndGoesDownWhenTheFirstStepFails() throws Exception {
        PeakSearch.Plan plan = new PeakSearch.Plan(400, 2, 1, 14, 0.97, 100);
        // Delivers everything, but p99 passes 100 ms above 150 msg/s.
        PeakSearch.Peak peak = PeakSearch.search(rate -> fake(rate, 1e9, rate > 150 ? 250 : 20), plan);
        // 400 fails on p99 only, so both directions are tried until a step is sustained; then bisection.
        assertThat(peak.steps()).extracting(s -> Math.round(s.rate()))
                .containsExactly(400L, 800L, 200L, 1600L, 100L, 141L);
        assertThat(peak.steps().get(0).failure()).isEqualTo("p99 250 ms");
        assertThat(peak.rate()).isCloseTo(141.4, Offset.offset(0.1));
        PeakSearch.Peak none = PeakSearch.search(rate -> fake(rate, 0, 1), new PeakSearch.Plan(100, 2, 3, 3, 0.97,
                100));
        assertThat(none.rate()).isZero();
        assertThat(none.steps()).hasSize(3);
    }

    @Test
    void peakSearchGoesUpPastABatchingSystemsLatencyAtLowRates() throws Exception {
        PeakSearch.Plan plan = new PeakSearch.Plan(250, 2, 1, 14, 0.97, 100);
        // Batches wait for a timer at low rates (p99 1 s below 700 msg/s); deliveries fall behind above 3000.
        PeakSearch.Peak peak = PeakSearch.search(rate -> fake(rate, 3000, rate < 700 ? 1000 : 5), plan);
        assertThat(peak.steps()).extracting(s -> Math.round(s.rate()))
                .containsExactly(250L, 500L, 125L, 1000L, 2000L, 4000L, 2828L);
        assertThat(peak.steps().get(5).failure()).startsWith("delivered 75");
        assertThat(peak.steps().get(5).keptUp()).isFalse();
        assertThat(peak.steps().get(0).keptUp()).isTrue();
        assertThat(peak.rate()).isCloseTo(2828.4, Offset.offset(0.1));
    }

    @Test
    void procStatCpuIsUtimePlusStime() {
        // Field 2 may hold spaces and parentheses; utime (14) = 150, stime (15) = 50 ticks.
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 30 0 1000 0 0";
        assertThat(ProcCpu.parse(stat, 100)).isEqualTo(2.0);
        double before = ProcCpu.self();
        long spin = 0;
        for (long t = System.nanoTime(); System.nanoTime() - t < 200_000_000L; ) {
            spin++;
        }
        assertThat(spin).isPositive();
        assertThat(ProcCpu.self()).isGreaterThan(before);
        assertThat(ProcCpu.seconds(-1)).isEqualTo(-1);
    }

    @Test
    void plotsAreDrawnAsPng(@TempDir Path dir) throws Exception {
        PeakSearch.Plan plan = new PeakSearch.Plan(100, 2, 1, 6, 0.97, 100);
        List<Rounds.Outcome> outcomes = List.of(
                new Rounds.Outcome(new Rounds.Subject("a", true, w -> null),
                        List.of(PeakSearch.search(rate -> fake(rate, 500, 5), plan)), 200,
                        List.of(fake(200, 500, 4))),
                new Rounds.Outcome(new Rounds.Subject("b", true, w -> null),
                        List.of(PeakSearch.search(rate -> fake(rate, 0, 5), plan)), 50, List.of(fake(50, 0, 0))));
        String md = Plots.drawInto(dir, outcomes, 10);
        assertThat(md).contains("](bench-deliveries.png)").contains("](bench-latency.png)");
        for (String png : List.of("bench-deliveries.png", "bench-latency.png")) {
            byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(dir.resolve(png)), 4);
            assertThat(head).containsExactly(0x89, 'P', 'N', 'G');
        }
    }
}
