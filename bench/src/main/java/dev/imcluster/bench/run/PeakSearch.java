package dev.imcluster.bench.run;

import dev.imcluster.bench.core.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Finds the highest publish rate a system sustains, open loop. A step runs the system at an offered rate; it is
 * sustained when it had no errors, published at least {@code minRatio} of the offered rate, delivered at least
 * {@code minRatio} of what the offered rate should deliver, and its p99 stayed at or under {@code maxP99Ms}.
 *
 * <p>First a sustained step is found: the start rate, then alternately {@code factor} times higher and lower
 * (higher only while the steps keep up with the offered rate, failing at most on p99: a batching system's latency
 * can be worse at low rates than at high ones). Then from the highest sustained rate the rate is multiplied by
 * {@code factor} until a step fails, and the bracket between the highest sustained rate and the lowest failed rate
 * above it is bisected (geometric mean) {@code refine} times. At most {@code maxSteps} steps in all.
 */
public final class PeakSearch {
    /** One run of the system at an offered rate. */
    public interface Probe {
        Result at(double rate) throws Exception;
    }

    public record Plan(double startRate, double factor, int refine, int maxSteps, double minRatio,
                       double maxP99Ms) {
        public static Plan defaults() {
            return new Plan(250, 2, 3, 14, 0.97, 100);
        }
    }

    /**
     * @param failure why the step was not sustained, null when it was
     * @param keptUp whether it published and delivered the offered rate without errors (p99 aside)
     */
    public record Step(double rate, Result result, String failure, boolean keptUp) {
        public boolean sustained() {
            return failure == null;
        }
    }

    /** @param rate the highest sustained rate, 0 when none was; {@code result} is that step's run (or null) */
    public record Peak(double rate, Result result, List<Step> steps) {
        /** The steps in order, e.g. "250 ok, 500 ok, 1000 p99 140 ms, 707 ok". */
        public String trace() {
            StringBuilder sb = new StringBuilder();
            for (Step s : steps) {
                sb.append(sb.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.0f ", s.rate()))
                        .append(s.sustained() ? "ok" : s.failure());
            }
            if (rate > 0 && steps.stream().noneMatch(s -> !s.sustained() && s.rate() > rate)) {
                sb.append(" (step limit reached before a step above the peak failed: the peak is at least this)");
            }
            return sb.toString();
        }
    }

    private PeakSearch() {
    }

    /** Why {@code r}, run at {@code offered} msg/s, was not sustained under {@code plan}; null when it was. */
    public static String failure(Result r, double offered, Plan plan) {
        if (r.errors() > 0) {
            return r.errors() + " errors";
        }
        if (r.sent() == 0) {
            return "nothing sent";
        }
        if (r.publishedPerSecond() < plan.minRatio() * offered) {
            return String.format(Locale.ROOT, "published %.0f/s", r.publishedPerSecond());
        }
        double fanout = (double) r.expected() / r.sent();
        double offeredDeliveries = offered * r.seconds() * fanout;
        if (r.delivered() < plan.minRatio() * offeredDeliveries) {
            return String.format(Locale.ROOT, "delivered %.1f%%", 100.0 * r.delivered() / offeredDeliveries);
        }
        if (r.p99Ms() > plan.maxP99Ms()) {
            return String.format(Locale.ROOT, "p99 %.0f ms", r.p99Ms());
        }
        return null;
    }

    public static Peak search(Probe probe, Plan plan) throws Exception {
        List<Step> steps = new ArrayList<>();
        // A sustained step: the start rate, then alternately higher (while steps keep up) and lower.
        Step s = step(probe, plan.startRate(), plan, steps);
        double up = plan.startRate();
        double down = plan.startRate();
        boolean upOpen = s.keptUp();
        boolean goUp = true;
        while (!s.sustained() && steps.size() < plan.maxSteps()) {
            if (goUp && upOpen) {
                up *= plan.factor();
                s = step(probe, up, plan, steps);
                upOpen = s.keptUp();
            } else {
                down /= plan.factor();
                s = step(probe, down, plan, steps);
            }
            goUp = !goUp;
        }
        // Up from the highest sustained rate until a step fails, then bisect the bracket.
        int refined = 0;
        while (steps.size() < plan.maxSteps()) {
            double lo = highestSustained(steps);
            if (lo == 0) {
                break;
            }
            double hi = steps.stream().filter(x -> !x.sustained() && x.rate() > lo).mapToDouble(Step::rate).min()
                    .orElse(0);
            if (hi > 0 && refined++ >= plan.refine()) {
                break;
            }
            step(probe, hi == 0 ? lo * plan.factor() : Math.sqrt(lo * hi), plan, steps);
        }
        double peak = highestSustained(steps);
        Step best = steps.stream().filter(x -> x.sustained() && x.rate() == peak).findFirst().orElse(null);
        return best == null ? new Peak(0, null, steps) : new Peak(best.rate(), best.result(), steps);
    }

    private static double highestSustained(List<Step> steps) {
        return steps.stream().filter(Step::sustained).mapToDouble(Step::rate).max().orElse(0);
    }

    private static Step step(Probe probe, double rate, Plan plan, List<Step> steps) throws Exception {
        Result r = probe.at(rate);
        String failure = failure(r, rate, plan);
        Step s = new Step(rate, r, failure, failure == null || failure.startsWith("p99"));
        steps.add(s);
        return s;
    }
}
