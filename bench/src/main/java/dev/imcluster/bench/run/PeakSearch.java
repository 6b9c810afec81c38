package dev.imcluster.bench.run;

import dev.imcluster.bench.core.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Finds the highest publish rate a system sustains, open loop: runs it at an offered rate, multiplying the rate by
 * {@code factor} after every sustained step (dividing it after every failed one, when even the first fails) until
 * one step is sustained and the next is not, then bisects that bracket (geometric mean) {@code refine} times. A step
 * is sustained when it had no errors, published at least {@code minRatio} of the offered rate, delivered at least
 * {@code minRatio} of what the offered rate should deliver, and its p99 stayed at or under {@code maxP99Ms}.
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

    /** @param failure why the step was not sustained, null when it was */
    public record Step(double rate, Result result, String failure) {
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
            if (steps.stream().allMatch(Step::sustained) && !steps.isEmpty()) {
                sb.append(" (step limit reached before any step failed: the peak is at least this)");
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
        Step best = null;
        double lo = 0; // the highest sustained rate so far
        double hi = 0; // the lowest failed rate so far
        double rate = plan.startRate();
        int refined = 0;
        while (steps.size() < plan.maxSteps()) {
            Step s = step(probe, rate, plan, steps);
            if (s.sustained()) {
                best = best == null || s.rate() > best.rate() ? s : best;
                lo = Math.max(lo, rate);
            } else {
                hi = hi == 0 ? rate : Math.min(hi, rate);
            }
            if (lo == 0 || hi == 0) {
                // Not bracketed yet: up while sustained, down while not.
                rate = s.sustained() ? rate * plan.factor() : rate / plan.factor();
            } else if (refined++ < plan.refine()) {
                rate = Math.sqrt(lo * hi);
            } else {
                break;
            }
        }
        return best == null ? new Peak(0, null, steps) : new Peak(best.rate(), best.result(), steps);
    }

    private static Step step(Probe probe, double rate, Plan plan, List<Step> steps) throws Exception {
        Result r = probe.at(rate);
        Step s = new Step(rate, r, failure(r, rate, plan));
        steps.add(s);
        return s;
    }
}
