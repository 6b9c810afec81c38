package dev.imcluster.bench.core;

import org.HdrHistogram.Histogram;

/**
 * One measured run: what was sent and delivered in the measured window (warmup excluded), the
 * publish-to-deliver latency of those messages and the CPU time used over the window.
 *
 * @param system what was measured, e.g. "imcluster room (HTTP push)" or "nats-server core"
 * @param targetRate the publish rate offered (messages/s, open loop), 0 for as fast as the flow-control window
 *     allows (closed loop; single-scenario commands only)
 * @param serverCpuSeconds utime + stime of the server process over the measured window, -1 when unknown
 * @param benchCpuSeconds the same for the bench's own JVM (publishers, subscribers, progress)
 */
public record Result(String scenario, String system, int publishers, int subscribers, int rooms, int size,
                     double targetRate, double seconds, long sent, long expected, long delivered, long errors,
                     double p50Ms, double p99Ms, double p999Ms, double maxMs, String notes,
                     double serverCpuSeconds, double benchCpuSeconds) {

    public static Result of(String scenario, String system, Workload w, double seconds, long sent, long expected,
                            long delivered, long errors, Histogram h, String notes, double serverCpu,
                            double benchCpu) {
        return new Result(scenario, system, w.publishers, w.subscribers, w.rooms, w.size, w.rate, seconds, sent,
                expected, delivered, errors, ms(h, 50), ms(h, 99), ms(h, 99.9),
                h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1000.0, notes, serverCpu, benchCpu);
    }

    /** A run that could not complete: one error, nothing measured, the reason in the notes. */
    public static Result failed(String scenario, String system, Workload w, Throwable error) {
        return new Result(scenario, system, w.publishers, w.subscribers, w.rooms, w.size, w.rate, 0, 0, 0, 0, 1,
                0, 0, 0, 0, "FAILED: " + error.getMessage(), -1, -1);
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1000.0;
    }

    /** The same run under another name. */
    public Result named(String newSystem) {
        return new Result(scenario, newSystem, publishers, subscribers, rooms, size, targetRate, seconds, sent,
                expected, delivered, errors, p50Ms, p99Ms, p999Ms, maxMs, notes, serverCpuSeconds, benchCpuSeconds);
    }

    /** The same run with more errors and a note saying what they were. */
    public Result withErrors(long more, String note) {
        return new Result(scenario, system, publishers, subscribers, rooms, size, targetRate, seconds, sent,
                expected, delivered, errors + more, p50Ms, p99Ms, p999Ms, maxMs, notes + "; " + note,
                serverCpuSeconds, benchCpuSeconds);
    }

    public double deliveriesPerSecond() {
        return seconds <= 0 ? 0 : delivered / seconds;
    }

    public double publishedPerSecond() {
        return seconds <= 0 ? 0 : sent / seconds;
    }

    /** Deliveries per CPU-second of the server process, 0 when its CPU time is unknown. */
    public double deliveriesPerServerCpuSecond() {
        return serverCpuSeconds <= 0 ? 0 : delivered / serverCpuSeconds;
    }

    /** The server's CPU use over the window, in cores (1.0 = one core busy), 0 when unknown. */
    public double serverCores() {
        return serverCpuSeconds < 0 || seconds <= 0 ? 0 : serverCpuSeconds / seconds;
    }

    /** The bench JVM's CPU use over the window, in cores. */
    public double benchCores() {
        return benchCpuSeconds < 0 || seconds <= 0 ? 0 : benchCpuSeconds / seconds;
    }

    /** How it was published: the publisher's description (the first part of the notes). */
    public String publishPath() {
        int semi = notes == null ? -1 : notes.indexOf(';');
        return notes == null ? "" : semi < 0 ? notes : notes.substring(0, semi);
    }

    /** Messages expected but not received (never negative: redeliveries do not hide drops elsewhere). */
    public long drops() {
        return Math.max(0, expected - delivered);
    }
}
