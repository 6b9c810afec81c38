package dev.imcluster.broker.mq;

import dev.imcluster.broker.api.internal.PushEnvelope;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consuming side shared by every backend: hands messages to the handler one at a time per
 * {@link Envelopes#partitionKey} (in the order they were dispatched) while different keys run concurrently,
 * retries a failed message in place with backoff (so later messages of its key wait and order holds), and
 * acknowledges through the {@link Delivery} once the handler's future completed normally.
 *
 * <p>At most {@code maxInFlight} messages are held at once: a consumer calls {@link #reserve} before fetching
 * more, so nothing is buffered without bound.
 */
public final class KeyedDispatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeyedDispatcher.class);

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

    private final MessageBus.EnvelopeHandler handler;
    private final BusMetrics metrics;
    private final Backoff backoff;
    private final int maxInFlight;
    private final Semaphore permits;
    private final AtomicLong inFlight;
    private final Map<String, ArrayDeque<Delivery>> queues = new HashMap<>(); // guarded by itself; head = running
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
        boolean start;
        synchronized (queues) {
            ArrayDeque<Delivery> queue = queues.get(key);
            start = queue == null;
            if (start) {
                queue = new ArrayDeque<>();
                queues.put(key, queue);
            }
            queue.add(delivery);
        }
        if (start) {
            submit(key, delivery, 1);
        }
    }

    private void submit(String key, Delivery delivery, int attempt) {
        try {
            workers.execute(() -> run(key, delivery, attempt));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            finish(key, delivery, false);
        }
    }

    private void run(String key, Delivery delivery, int attempt) {
        if (closed || !delivery.valid()) {
            finish(key, delivery, false);
            return;
        }
        CompletableFuture<Void> result;
        try {
            result = handler.handle(delivery.envelope());
            if (result == null) {
                result = CompletableFuture.failedFuture(new NullPointerException("handler returned no future"));
            }
        } catch (Throwable t) {
            result = CompletableFuture.failedFuture(t);
        }
        result.whenComplete((ok, error) -> {
            if (error == null) {
                if (delivery.valid()) {
                    settle(delivery);
                }
                finish(key, delivery, true);
                return;
            }
            if (closed || !delivery.valid()) {
                finish(key, delivery, false);
                return;
            }
            metrics.redelivered();
            Duration delay = backoff.delay(attempt);
            failureLog.warn("{} handler failed for msg_id {} (attempt {}), retrying in {} ms: {}", metrics.backend(),
                    delivery.envelope().getMsgId(), attempt, delay.toMillis(), error.toString());
            try {
                delivery.retrying(attempt);
            } catch (RuntimeException e) {
                LOG.debug("retrying hook failed", e);
            }
            try {
                timer.schedule(() -> submit(key, delivery, attempt + 1), delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                finish(key, delivery, false);
            }
        });
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

    private void finish(String key, Delivery delivery, boolean handled) {
        if (!handled) {
            try {
                delivery.released();
            } catch (RuntimeException e) {
                LOG.debug("release hook failed", e);
            }
        }
        Delivery next;
        synchronized (queues) {
            ArrayDeque<Delivery> queue = queues.get(key);
            if (queue == null || queue.peek() != delivery) {
                return; // released by close()
            }
            queue.poll();
            next = queue.peek();
            if (next == null) {
                queues.remove(key);
            }
        }
        inFlight.decrementAndGet();
        permits.release();
        if (next != null) {
            submit(key, next, 1);
        }
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
        java.util.List<Delivery> left = new java.util.ArrayList<>();
        synchronized (queues) {
            queues.values().forEach(left::addAll);
            queues.clear();
        }
        for (Delivery d : left) {
            try {
                d.released();
            } catch (RuntimeException e) {
                LOG.debug("release hook failed", e);
            }
        }
        inFlight.addAndGet(-left.size());
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
