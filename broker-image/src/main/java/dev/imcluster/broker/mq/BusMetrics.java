package dev.imcluster.broker.mq;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The queue metrics every backend reports, tagged {@code backend}: published, publish failures, consumed,
 * redelivered, acked, dropped (with a reason), in flight and lag per group, and up.
 */
public final class BusMetrics {
    private final MeterRegistry registry;
    private final String backend;
    private final Counter published;
    private final Counter publishFailures;
    private final Counter consumed;
    private final Counter redelivered;
    private final Counter acked;
    private final ConcurrentHashMap<String, Counter> dropped = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicLong> lags = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicLong> inFlight = new ConcurrentHashMap<>();

    public BusMetrics(MeterRegistry registry, String backend, Supplier<Boolean> up) {
        this.registry = registry;
        this.backend = backend;
        Tags tags = Tags.of("backend", backend);
        published = Counter.builder("imcluster.mq.published").description("Messages the queue accepted")
                .tags(tags).register(registry);
        publishFailures = Counter.builder("imcluster.mq.publish.failures")
                .description("Publishes that failed (queue unavailable or timed out)").tags(tags).register(registry);
        consumed = Counter.builder("imcluster.mq.consumed").description("Messages received from the queue")
                .tags(tags).register(registry);
        redelivered = Counter.builder("imcluster.mq.redelivered")
                .description("Messages handed to the handler again (handler failure or backend redelivery)")
                .tags(tags).register(registry);
        acked = Counter.builder("imcluster.mq.acked").description("Messages acknowledged after their handler succeeded")
                .tags(tags).register(registry);
        Gauge.builder("imcluster.mq.up", up, s -> Boolean.TRUE.equals(s.get()) ? 1 : 0)
                .description("1 while the queue is reachable").tags(tags).strongReference(true).register(registry);
    }

    public String backend() {
        return backend;
    }

    public void published() {
        published.increment();
    }

    public void publishFailed() {
        publishFailures.increment();
    }

    public void consumed() {
        consumed.increment();
    }

    public void redelivered() {
        redelivered.increment();
    }

    public void redelivered(int messages) {
        redelivered.increment(messages);
    }

    public void acked() {
        acked.increment();
    }

    /** A message the bus could not hand to the handler at all (for example undecodable bytes); it is acked. */
    public void dropped(String reason) {
        dropped(reason, 1);
    }

    /**
     * Registers the drop counters of these reasons at 0, so that a dashboard shows the series (at 0) before the first
     * drop: a counter that appears only with its first increment reads as "no data", and as an unknown metric to
     * a rate() until then.
     */
    public void expectDrops(String... reasons) {
        for (String reason : reasons) {
            dropped(reason, 0);
        }
    }

    /** {@code messages} dropped at once, for one reason (the in-memory queue's unacknowledged ones at close). */
    public void dropped(String reason, long messages) {
        dropped.computeIfAbsent(reason, r -> Counter.builder("imcluster.mq.dropped")
                .description("Messages dropped by the bus (acknowledged without handling)")
                .tags("backend", backend, "reason", r).register(registry)).increment(messages);
    }

    /** The group's lag as last measured by the backend; -1 until known. */
    public AtomicLong lag(String group) {
        return lags.computeIfAbsent(group, g -> {
            AtomicLong value = new AtomicLong(-1);
            Gauge.builder("imcluster.mq.lag", value, AtomicLong::get)
                    .description("Messages of the group not yet acknowledged, as reported by the queue (-1: unknown)")
                    .tags("backend", backend, "group", g).strongReference(true).register(registry);
            return value;
        });
    }

    public AtomicLong inFlight(String group) {
        return inFlight.computeIfAbsent(group, g -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder("imcluster.mq.in.flight", value, AtomicLong::get)
                    .description("Messages handed to the handler and not yet acknowledged")
                    .tags("backend", backend, "group", g).strongReference(true).register(registry);
            return value;
        });
    }
}
