package dev.imcluster.broker.mq.memory;

import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.mq.Position;
import dev.imcluster.broker.mq.BusMetrics;
import dev.imcluster.broker.mq.BusUnavailableException;
import dev.imcluster.broker.mq.Envelopes;
import dev.imcluster.broker.mq.MessageBus;
import dev.imcluster.broker.logging.RateLimitedLog;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue for roles sharing one JVM (standalone and tests), with the semantics of the real backends:
 * <ul>
 *   <li>every group gets every message; inside a group each message goes to one member, chosen by its
 *       {@link Envelopes#partitionKey partition} (a fixed number of partitions spread over the members);</li>
 *   <li>a partition's messages reach the handler in publish order, one call at a time; the handler is called
 *       for the next message before the previous future completes (up to {@code maxInFlight} per partition),
 *       as a Kafka or JetStream consumer does, so a handler can batch;</li>
 *   <li>a failed future redelivers that message after an exponential backoff, until it succeeds;</li>
 *   <li>bounded: at most {@code capacity} unacknowledged messages per group; publish fails with
 *       {@link BusUnavailableException} beyond that, counted in {@code imcluster_mq_publish_failures_total}.</li>
 * </ul>
 * Messages published before any group exists wait (within the same bound) for the first group to subscribe,
 * as a new consumer group of a durable log would read them from the start.
 */
public final class InMemoryBus implements MessageBus {

    private static final Logger log = LoggerFactory.getLogger(InMemoryBus.class);

    public static final int DEFAULT_CAPACITY = 100_000;
    public static final int PARTITIONS = 16;
    static final int MAX_IN_FLIGHT = 1024;
    static final Duration MIN_BACKOFF = Duration.ofMillis(20);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

    private final int capacity;
    final ScheduledExecutorService executor;
    private final Map<String, InMemoryGroup> groups = new LinkedHashMap<>();
    private final ArrayDeque<PushEnvelope> backlog = new ArrayDeque<>();
    /** The meters every backend has (imcluster_mq_*): lag is a group's unacknowledged messages, exact here. */
    final BusMetrics metrics;
    final RateLimitedLog retryLog = new RateLimitedLog(log, 10, java.util.concurrent.TimeUnit.SECONDS);
    volatile boolean closed;
    private volatile boolean available = true;

    public InMemoryBus(MeterRegistry meters) {
        this(meters, DEFAULT_CAPACITY);
    }

    public InMemoryBus(MeterRegistry meters, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
        this.executor = Executors.newScheduledThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                r -> {
                    Thread t = new Thread(r, "inmemory-bus");
                    t.setDaemon(true);
                    return t;
                });
        this.metrics = new BusMetrics(meters, name(), this::healthy);
        metrics.expectDrops("closed");
    }

    @Override
    public String name() {
        return "memory";
    }

    /** Simulates an outage (tests, demos): while false, publish fails as a down broker would. */
    public void setAvailable(boolean available) {
        this.available = available;
    }

    @Override
    public CompletableFuture<Position> publish(PushEnvelope envelope) {
        if (closed || !available) {
            metrics.publishFailed();
            return CompletableFuture.failedFuture(new BusUnavailableException(
                    closed ? "the in-memory queue is closed" : "the in-memory queue is unavailable"));
        }
        Position position;
        synchronized (this) {
            position = new Position(++lastOffset, epoch);
            envelope = position.stamp(envelope);
            if (groups.isEmpty()) {
                if (backlog.size() >= capacity) {
                    return reject();
                }
                backlog.add(envelope);
            } else {
                for (InMemoryGroup g : groups.values()) {
                    if (g.pending.get() >= capacity) {
                        return reject();
                    }
                }
                for (InMemoryGroup g : groups.values()) {
                    g.enqueue(envelope);
                }
            }
        }
        metrics.published();
        return CompletableFuture.completedFuture(position);
    }

    private CompletableFuture<Position> reject() {
        metrics.publishFailed();
        return CompletableFuture.failedFuture(new BusUnavailableException(
                "the in-memory queue is full (" + capacity + " unacknowledged messages)"));
    }

    /** Nothing outlives the process: each start is a new epoch, offsets count from 1. */
    private final String epoch = "memory:"
            + Long.toString(java.util.concurrent.ThreadLocalRandom.current().nextLong() >>> 1, 36);
    private long lastOffset;

    @Override
    public synchronized Subscription subscribe(String group, EnvelopeHandler handler) {
        if (closed) {
            throw new IllegalStateException("bus closed");
        }
        InMemoryGroup g = groups.get(group);
        if (g == null) {
            g = new InMemoryGroup(this, group);
            groups.put(group, g);
            if (groups.size() == 1) {
                while (!backlog.isEmpty()) {
                    g.enqueue(backlog.poll());
                }
            }
        }
        InMemoryGroup.Member m = new InMemoryGroup.Member(handler);
        g.join(m);
        InMemoryGroup joined = g;
        return () -> joined.leave(m);
    }

    @Override
    public boolean healthy() {
        return !closed && available;
    }

    @Override
    public void close() {
        closed = true;
        executor.shutdownNow();
        long lost = pending();
        if (lost > 0) {
            // The queue lives in this process: what no member acknowledged goes with it (imcluster_mq_lag showed
            // it until now; docs/DELIVERY.md states the bound).
            log.warn("in-memory queue closed with {} unacknowledged messages; they are lost", lost);
            metrics.dropped("closed", lost);
        }
    }

    private synchronized long pending() {
        long max = backlog.size();
        for (InMemoryGroup g : groups.values()) {
            max = Math.max(max, g.pending.get());
        }
        return max;
    }
}
