package dev.imcluster.broker.mq;

import dev.imcluster.broker.logging.RateLimitedLog;
import dev.imcluster.broker.api.internal.PushEnvelope;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Over 300 lines: the per-key lanes and the in-order retry of a failed key are one state machine under one
 * lock.
 *
 * <p>The consuming side shared by every backend. Messages of one {@link Envelopes#partitionKey} are handed to the
 * handler in dispatch order, one <em>call</em> at a time, while different keys run concurrently. The next message
 * of a key is handed over as soon as the previous call returned, without waiting for its future: job holds room
 * messages until their batch is delivered, so waiting would cap a room at one message per batch delay.
 *
 * <p>A message is acknowledged through its {@link Delivery} once its future completed normally. When one fails,
 * its key stops taking new messages, and the failed ones of that key are retried one by one in dispatch order,
 * with backoff, before the key flows again: a failed batch is redelivered in order. Only a later message that
 * had already succeeded before an earlier one failed can be seen first (comets drop repeats by message id).
 *
 * <p>At most {@code maxInFlight} messages are held at once: a consumer calls {@link #reserve} before fetching
 * more, so nothing is buffered without bound.
 */
public final class KeyedDispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeyedDispatcher.class);
    /** Calls one worker makes for a key before yielding the thread to other keys. */
    private static final int DRAIN_BATCH = 64;

    /** One received message and how to settle it with the backend. */
    public interface Delivery {
        PushEnvelope envelope();

        /** The handler succeeded: acknowledge to the queue (must not throw). */
        void ack();

        /** False once the message is no longer this consumer's (partition revoked): stop retrying, never ack. */
        default boolean valid() {
            return true;
        }

        /** The handler failed and the message will be retried after a backoff (e.g. tell the queue we hold it). */
        default void retrying(int attempt) {
        }

        /** Dropped without ack (closing or no longer valid); the queue redelivers it later. */
        default void released() {
        }
    }

    /**
     * A delivery settled by these callbacks, the one shape every backend's consumer needs: a null callback does
     * nothing, a null {@code validity} means always valid.
     */
    public record Settled(PushEnvelope envelope, Runnable onAck, IntConsumer onRetry, Runnable onRelease,
                          BooleanSupplier validity) implements Delivery {
        @Override
        public void ack() {
            if (onAck != null) {
                onAck.run();
            }
        }

        @Override
        public boolean valid() {
            return validity == null || validity.getAsBoolean();
        }

        @Override
        public void retrying(int attempt) {
            if (onRetry != null) {
                onRetry.accept(attempt);
            }
        }

        @Override
        public void released() {
            if (onRelease != null) {
                onRelease.run();
            }
        }
    }

    /** A dispatched message: its place in its key's order, its attempts, and whether it was settled. */
    private static final class Pending {
        final Delivery delivery;
        final String key;
        final long seq;
        int attempt = 1;
        final AtomicBoolean done = new AtomicBoolean();

        Pending(Delivery delivery, String key, long seq) {
            this.delivery = delivery;
            this.key = key;
            this.seq = seq;
        }
    }

    /** One key's state; guarded by {@code lanes}. */
    private static final class Lane {
        final String key;
        final ArrayDeque<Pending> waiting = new ArrayDeque<>();
        /** Failed messages, lowest seq first; while not empty the key takes no new message. */
        final java.util.PriorityQueue<Pending> failed = new java.util.PriorityQueue<>(
                java.util.Comparator.comparingLong(p -> p.seq));
        boolean draining;
        boolean retrying;

        Lane(String key) {
            this.key = key;
        }

        boolean idle() {
            return waiting.isEmpty() && failed.isEmpty() && !draining && !retrying;
        }
    }

    private final MessageBus.EnvelopeHandler handler;
    private final BusMetrics metrics;
    private final Backoff backoff;
    private final int maxInFlight;
    private final Semaphore permits;
    private final AtomicLong inFlight;
    private final AtomicLong sequence = new AtomicLong();
    private final Map<String, Lane> lanes = new HashMap<>();
    /** Messages handed to the handler whose future has not completed; released at close. */
    private final java.util.Set<Pending> outstanding = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final ExecutorService workers;
    private final ScheduledExecutorService timer;
    private final RateLimitedLog failureLog = new RateLimitedLog(LOG, 10, TimeUnit.SECONDS);
    private volatile boolean closed;

    public KeyedDispatcher(String name, MessageBus.EnvelopeHandler handler, BusMetrics metrics, Backoff backoff,
                           int maxInFlight, AtomicLong inFlightGauge) {
        this.handler = handler;
        this.metrics = metrics;
        this.backoff = backoff;
        this.maxInFlight = maxInFlight;
        this.permits = new Semaphore(maxInFlight);
        this.inFlight = inFlightGauge;
        int threads = Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors()));
        this.workers = Executors.newFixedThreadPool(threads, daemon(name + "-handler"));
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon(name + "-retry"));
    }

    static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Waits up to {@code timeout} for room for one more message; the caller dispatches it or calls {@link #unreserve}. */
    public boolean reserve(Duration timeout) throws InterruptedException {
        return !closed && permits.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Takes room for one message if there is some right now. */
    public boolean tryReserve() {
        return !closed && permits.tryAcquire();
    }

    public void unreserve() {
        permits.release();
    }

    /** Free room right now. */
    public int available() {
        return permits.availablePermits();
    }

    public int inFlight() {
        return maxInFlight - permits.availablePermits();
    }

    /** Hands over a message for which {@link #reserve} succeeded. */
    public void dispatch(Delivery delivery) {
        metrics.consumed();
        inFlight.incrementAndGet();
        String key = Envelopes.partitionKey(delivery.envelope());
        Pending pending = new Pending(delivery, key, sequence.incrementAndGet());
        Lane start = null;
        synchronized (lanes) {
            Lane lane = lanes.computeIfAbsent(key, Lane::new);
            lane.waiting.add(pending);
            if (!lane.draining && lane.failed.isEmpty() && !lane.retrying) {
                lane.draining = true;
                start = lane;
            }
        }
        if (start != null) {
            execute(start, this::drain);
        }
    }

    private void execute(Lane lane, java.util.function.Consumer<Lane> task) {
        try {
            workers.execute(() -> task.accept(lane));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            releaseLane(lane);
        }
    }

    /** Hands a key's waiting messages to the handler in order until it is empty or blocked by a failure. */
    private void drain(Lane lane) {
        for (int calls = 0; ; calls++) {
            Pending next;
            synchronized (lanes) {
                if (calls == DRAIN_BATCH && !lane.waiting.isEmpty()) {
                    break; // yield the worker; continue below
                }
                next = lane.failed.isEmpty() ? lane.waiting.poll() : null;
                if (next == null) {
                    lane.draining = false;
                    removeIfIdle(lane);
                    return;
                }
            }
            invoke(next);
        }
        execute(lane, this::drain);
    }

    private void invoke(Pending p) {
        // Listed before the check, so a close that starts meanwhile sees it and releases it.
        outstanding.add(p);
        if (closed || !p.delivery.valid()) {
            outstanding.remove(p);
            finish(p, false);
            if (p.attempt > 1) {
                retryNext(p.key);
            }
            return;
        }
        CompletableFuture<Void> result;
        try {
            result = handler.handle(p.delivery.envelope());
            if (result == null) {
                result = CompletableFuture.failedFuture(new NullPointerException("handler returned no future"));
            }
        } catch (Throwable t) {
            result = CompletableFuture.failedFuture(t);
        }
        result.whenComplete((ok, error) -> {
            outstanding.remove(p);
            if (error == null) {
                finish(p, true);
                if (p.attempt > 1) {
                    retryNext(p.key); // a retried message succeeded: the next failed one, or resume the key
                }
            } else {
                failed(p, error);
            }
        });
    }

    private void failed(Pending p, Throwable error) {
        boolean wasRetry = p.attempt > 1;
        if (closed || !p.delivery.valid()) {
            finish(p, false);
            if (wasRetry) {
                retryNext(p.key);
            }
            return;
        }
        metrics.redelivered();
        Duration delay = backoff.delay(p.attempt);
        failureLog.warn("{} handler failed for msg_id {} (attempt {}), retrying in {} ms: {}", metrics.backend(),
                p.delivery.envelope().getMsgId(), p.attempt, delay.toMillis(), error.toString());
        try {
            p.delivery.retrying(p.attempt);
        } catch (RuntimeException e) {
            LOG.debug("retrying hook failed", e);
        }
        p.attempt++;
        boolean schedule;
        Lane lane;
        synchronized (lanes) {
            // The key's lane may have gone idle and been removed while this call was pending.
            lane = lanes.computeIfAbsent(p.key, Lane::new);
            lane.failed.add(p);
            // A failed retry reschedules its chain; a first failure starts one unless a chain is running.
            schedule = wasRetry || !lane.retrying;
            lane.retrying = true;
        }
        if (schedule) {
            scheduleRetry(lane, delay);
        }
    }

    private void scheduleRetry(Lane lane, Duration delay) {
        try {
            timer.schedule(() -> execute(lane, this::retryHead), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            releaseLane(lane);
        }
    }

    /** Retries the lowest failed message of the key. */
    private void retryHead(Lane lane) {
        Pending head;
        synchronized (lanes) {
            head = lane.failed.poll();
            if (head == null) {
                lane.retrying = false;
                resume(lane);
                return;
            }
        }
        invoke(head);
    }

    /** After a retried message settled: retry the next failed one, or let the key take new messages again. */
    private void retryNext(String key) {
        Lane lane;
        synchronized (lanes) {
            lane = lanes.get(key);
            if (lane == null) {
                return;
            }
            if (lane.failed.isEmpty()) {
                lane.retrying = false;
                resume(lane);
                return;
            }
        }
        execute(lane, this::retryHead);
    }

    /** Called under the lock once a key has no failed messages left. */
    private void resume(Lane lane) {
        if (!lane.draining && !lane.waiting.isEmpty()) {
            lane.draining = true;
            execute(lane, this::drain);
        } else {
            removeIfIdle(lane);
        }
    }

    private void removeIfIdle(Lane lane) {
        if (lane.idle() && lanes.get(lane.key) == lane) {
            lanes.remove(lane.key);
        }
    }

    private void settle(Delivery delivery) {
        try {
            delivery.ack();
            metrics.acked();
        } catch (RuntimeException e) {
            // The queue redelivers it: at-least-once still holds, the handler sees it again.
            failureLog.warn("{} ack failed for msg_id {}: {}", metrics.backend(), delivery.envelope().getMsgId(),
                    e.toString());
        }
    }

    /**
     * Settles a message once: acknowledges it when handled (and still ours), or gives it back to the queue;
     * then frees its room.
     */
    private void finish(Pending p, boolean handled) {
        if (!p.done.compareAndSet(false, true)) {
            return; // released at close while its handler was still working
        }
        if (handled) {
            if (p.delivery.valid()) {
                settle(p.delivery);
            }
        } else {
            try {
                p.delivery.released();
            } catch (RuntimeException e) {
                LOG.debug("release hook failed", e);
            }
        }
        inFlight.decrementAndGet();
        permits.release();
    }

    /** Gives back everything a key still holds (shutting down). */
    private void releaseLane(Lane lane) {
        List<Pending> left = new ArrayList<>();
        synchronized (lanes) {
            left.addAll(lane.waiting);
            left.addAll(lane.failed);
            lane.waiting.clear();
            lane.failed.clear();
            lane.draining = false;
            lane.retrying = false;
            removeIfIdle(lane);
        }
        left.forEach(p -> finish(p, false));
    }

    /** Waits until nothing is in flight, up to {@code timeout}; true if idle. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        if (permits.tryAcquire(maxInFlight, timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            permits.release(maxInFlight);
            return true;
        }
        return false;
    }

    /**
     * Waits up to {@code timeout} for in-flight handlers, then drops what is left without ack (the queue
     * redelivers those) and stops the threads.
     */
    public void close(Duration timeout) {
        try {
            if (!awaitIdle(timeout)) {
                LOG.warn("{}: {} message(s) still in flight at close; the queue will redeliver them",
                        metrics.backend(), inFlight());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closed = true;
        List<Lane> all;
        synchronized (lanes) {
            all = new ArrayList<>(lanes.values());
        }
        all.forEach(this::releaseLane);
        List<Pending> unfinished = new ArrayList<>(outstanding);
        outstanding.clear();
        unfinished.forEach(p -> finish(p, false));
        timer.shutdownNow();
        workers.shutdown();
        try {
            workers.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownNow();
    }

    @Override
    public void close() {
        close(Duration.ZERO);
    }
}
