package dev.imcluster.broker.history;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** What history does, per process: appended, evicted (and why), failed appends, and reads by outcome. */
public final class HistoryMetrics {
    private final MeterRegistry meters;
    private final Counter appended;
    private final Counter appendFailures;
    private final io.micrometer.core.instrument.DistributionSummary roomSize;
    private final Map<String, Counter> evicted = new ConcurrentHashMap<>();
    private final Map<String, Counter> reads = new ConcurrentHashMap<>();

    public HistoryMetrics(MeterRegistry meters) {
        this.meters = meters;
        this.appended = Counter.builder("imcluster_history_appended")
                .description("Messages added to room history (delivery.history)").register(meters);
        this.appendFailures = Counter.builder("imcluster_history_append_failures")
                .description("Room batches whose history append failed: delivered live, but recovery across them "
                        + "reports recovered=false").register(meters);
        this.roomSize = io.micrometer.core.instrument.DistributionSummary.builder("imcluster_history_room_size")
                .description("Messages a room's history holds after each append (its _max is the fullest room)")
                .register(meters);
        for (String reason : new String[] {"size", "ttl", "epoch"}) {
            evicted(reason, 0);
        }
        for (String outcome : new String[] {"complete", "incomplete", "failed"}) {
            reads.put(outcome, Counter.builder("imcluster_history_reads").tag("outcome", outcome)
                    .description("History reads (History RPC and recovery) by outcome").register(meters));
        }
    }

    void appended() {
        appended.increment();
    }

    void roomSize(long messages) {
        roomSize.record(messages);
    }

    public void appendFailed() {
        appendFailures.increment();
    }

    /** {@code reason}: size (delivery.history size), ttl (its ttl), epoch (the stream started over). */
    void evicted(String reason, int count) {
        evicted.computeIfAbsent(reason, r -> Counter.builder("imcluster_history_evicted").tag("reason", r)
                .description("Messages dropped from room history: size, ttl, or a new epoch").register(meters))
                .increment(count);
    }

    /** {@code outcome}: complete, incomplete (recovered=false), failed (store unreachable). */
    public void read(String outcome) {
        reads.get(outcome).increment();
    }
}
