package dev.imcluster.bench.core;

import org.HdrHistogram.Histogram;

/**
 * One measured run: what was sent and delivered in the measured window (warmup excluded) and the
 * publish-to-deliver latency of those messages.
 *
 * @param system what was measured, e.g. "imcluster (gRPC Publish)" or "nats-server core"
 * @param targetRate the publish rate asked for (messages/s), 0 for as fast as the flow-control window allows
 */
public record Result(String scenario, String system, int publishers, int subscribers, int rooms, int size,
                     double targetRate, double seconds, long sent, long expected, long delivered, long errors,
                     double p50Ms, double p99Ms, double p999Ms, double maxMs, String notes) {

    public static Result of(String scenario, String system, Workload w, double seconds, long sent, long expected,
                            long delivered, long errors, Histogram h, String notes) {
        return new Result(scenario, system, w.publishers, w.subscribers, w.rooms, w.size, w.rate, seconds, sent,
                expected, delivered, errors, ms(h, 50), ms(h, 99), ms(h, 99.9),
                h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0, notes);
    }

    /** A run that could not complete: one error, nothing measured, the reason in the notes. */
    public static Result failed(String scenario, String system, Workload w, Throwable error) {
        return new Result(scenario, system, w.publishers, w.subscribers, w.rooms, w.size, w.rate, 0, 0, 0, 0, 1,
                0, 0, 0, 0, "FAILED: " + error.getMessage());
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    public double deliveriesPerSecond() {
        return seconds <= 0 ? 0 : delivered / seconds;
    }

    public double publishedPerSecond() {
        return seconds <= 0 ? 0 : sent / seconds;
    }

    /** Messages expected but not received (never negative: redeliveries do not hide drops elsewhere). */
    public long drops() {
        return Math.max(0, expected - delivered);
    }
}
