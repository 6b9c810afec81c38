package dev.imcluster.bench.run;

import dev.imcluster.bench.core.Deliveries;
import dev.imcluster.bench.core.Payloads;
import dev.imcluster.bench.core.ProcCpu;
import dev.imcluster.bench.core.Progress;
import dev.imcluster.bench.core.Result;
import dev.imcluster.bench.core.Workload;
import dev.imcluster.bench.pub.Publisher;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives P publisher threads against subscribers that are already connected and report to {@link Deliveries}:
 * warmup, then the measured window, then a drain until every expected delivery arrived or none came for a while.
 *
 * <p>With a rate ({@code --rate > 0}) the run is open loop: the publishers are paced to the offered rate and never
 * wait for deliveries, so a system that cannot keep up shows it as deliveries below the offered rate and growing
 * latency; only {@link #OPEN_LOOP_IN_FLIGHT} unanswered publish calls bound the memory. The send time is taken
 * when a message is actually sent; a publisher behind its schedule catches up, but one more than
 * {@link #MAX_LAG_NANOS} (or ten intervals) behind skips what it owes, so the published rate shows when the
 * publishing side could not keep the schedule.
 *
 * <p>Without a rate (closed loop, single-scenario commands only) a publisher waits while more than
 * {@code window} messages are published but not yet delivered to all their subscribers, or while {@code window}
 * publish calls are unanswered.
 *
 * <p>The CPU time of the server process (when its pid is known) and of the bench's JVM is read from /proc at the
 * start and the end of the measured window.
 */
public final class FanoutRun {
    private static final Logger log = LoggerFactory.getLogger(FanoutRun.class);
    /** A publisher stalled this long on undelivered messages assumes they were dropped and goes on. */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The drain ends when nothing more arrived for this long. */
    private static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final long MAX_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(20);
    /** Open loop: a publisher this far behind its schedule (or ten intervals, if more) skips what it owes. */
    private static final long MAX_LAG_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /** Open loop: at most this many publish calls unanswered. */
    static final int OPEN_LOOP_IN_FLIGHT = 50_000;

    private final String scenario;
    private final String system;
    private final Workload workload;
    private final int[] fanout;
    private final Deliveries deliveries;
    private final PrintStream progressOut;

    private final LongAdder sentAll = new LongAdder();
    private final LongAdder sentMeasured = new LongAdder();
    /** Deliveries expected from all messages sent (warmup too), and from measured ones only. */
    private final LongAdder expectedAll = new LongAdder();
    private final LongAdder expectedMeasured = new LongAdder();
    /** Deliveries given up on after a stall, so flow control does not wait for them forever. */
    private final LongAdder forgiven = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder stalls = new LongAdder();
    private final AtomicReference<Throwable> firstError = new AtomicReference<>();

    /**
     * @param fanout deliveries expected per message, per target (room members, or 1 for a key)
     */
    public FanoutRun(String scenario, String system, Workload workload, int[] fanout, Deliveries deliveries,
                     PrintStream progressOut) {
        this.scenario = scenario;
        this.system = system;
        this.workload = workload;
        this.fanout = fanout.clone();
        this.deliveries = deliveries;
        this.progressOut = progressOut;
    }

    /** Told the wall-clock start and end of the measured window when a run starts (e.g. to cut a profile). */
    public interface WindowListener {
        void window(java.time.Instant from, java.time.Instant to);
    }

    private WindowListener windowListener = (from, to) -> { };
    private long[] serverPids = {-1};

    /**
     * The server processes whose CPU time the run reports, summed (e.g. the broker and the Redis it keeps history
     * in; -1: unknown, not on this machine).
     */
    public FanoutRun cpuOf(long... pids) {
        this.serverPids = pids.clone();
        return this;
    }

    public FanoutRun onWindow(WindowListener listener) {
        this.windowListener = listener;
        return this;
    }

    public Result run(Publisher publisher) throws InterruptedException {
        long maxFanout = 0;
        for (int f : fanout) {
            maxFanout = Math.max(maxFanout, f);
        }
        boolean openLoop = workload.rate > 0;
        long windowDeliveries = openLoop ? Long.MAX_VALUE : workload.window * maxFanout;
        int maxInFlight = openLoop ? OPEN_LOOP_IN_FLIGHT : workload.window;
        Semaphore inFlight = new Semaphore(maxInFlight);
        long start = System.nanoTime();
        long measureFrom = start + (long) (workload.warmup * 1e9);
        long measureTo = measureFrom + (long) (workload.duration * 1e9);
        double perPublisherRate = workload.rate / workload.publishers;
        java.time.Instant wallFrom = java.time.Instant.now().plusNanos(measureFrom - start);
        windowListener.window(wallFrom, wallFrom.plusNanos(measureTo - measureFrom));
        Progress progress = new Progress(scenario + "/" + system, deliveries, sentAll, errors, progressOut);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < workload.publishers; p++) {
            int first = p;
            Thread t = new Thread(() -> publishLoop(publisher, first, start, measureFrom, measureTo,
                    perPublisherRate, inFlight, windowDeliveries), "bench-publisher-" + p);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        sleepUntil(measureFrom);
        double serverCpuFrom = ProcCpu.seconds(serverPids);
        double benchCpuFrom = ProcCpu.self();
        sleepUntil(measureTo);
        double serverCpu = serverCpuFrom < 0 ? -1 : ProcCpu.seconds(serverPids) - serverCpuFrom;
        double benchCpu = benchCpuFrom < 0 ? -1 : ProcCpu.self() - benchCpuFrom;
        for (Thread t : threads) {
            t.join();
        }
        inFlight.tryAcquire(maxInFlight, 30, TimeUnit.SECONDS); // every publish answered
        drain();
        Histogram latency = progress.finish();
        if (firstError.get() != null) {
            log.warn("{}/{}: {} publish errors, the first: {}", scenario, system, errors.sum(),
                    firstError.get().toString());
        }
        long measuredDelivered = deliveries.measured();
        String notes = publisher.describe();
        if (stalls.sum() > 0) {
            notes += "; " + stalls.sum() + " flow-control stalls";
        }
        if (deliveries.malformed() > 0) {
            notes += "; " + deliveries.malformed() + " malformed messages";
        }
        return Result.of(scenario, system, workload, workload.duration, sentMeasured.sum(), expectedMeasured.sum(),
                measuredDelivered, errors.sum() + deliveries.malformed(), latency, notes, serverCpu, benchCpu);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            Thread.sleep(Math.max(1, left / 1_000_000));
        }
    }

    private void publishLoop(Publisher publisher, int first, long start, long measureFrom, long measureTo,
                             double rate, Semaphore inFlight, long windowDeliveries) {
        long intervalNanos = rate > 0 ? (long) (1e9 / rate) : 0;
        long maxLag = Math.max(10 * intervalNanos, MAX_LAG_NANOS);
        long next = start;
        int target = first % fanout.length;
        long stalledSince = 0;
        while (true) {
            long now = System.nanoTime();
            if (now >= measureTo) {
                return;
            }
            if (intervalNanos > 0 && now < next) {
                LockSupport.parkNanos(Math.min(next - now, 1_000_000));
                continue;
            }
            long outstanding = expectedAll.sum() - deliveries.all() - forgiven.sum();
            if (outstanding > windowDeliveries) {
                if (stalledSince == 0) {
                    stalledSince = now;
                } else if (now - stalledSince > STALL_NANOS) {
                    forgiven.add(outstanding); // lost (a slow consumer cut off, a full buffer): stop waiting
                    stalls.increment();
                    stalledSince = 0;
                }
                LockSupport.parkNanos(20_000);
                continue;
            }
            stalledSince = 0;
            try {
                if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    continue;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            boolean measured = now >= measureFrom;
            int t = target;
            int expected = fanout[t];
            target = (target + workload.publishers) % fanout.length;
            next = intervalNanos > 0 ? Math.max(next + intervalNanos, now - maxLag) : now;
            sentAll.increment();
            expectedAll.add(expected);
            if (measured) {
                sentMeasured.increment();
                expectedMeasured.add(expected);
            }
            try {
                publisher.publish(t, Payloads.stamp(workload.size, measured), error -> {
                    inFlight.release();
                    if (error != null) {
                        failed(error, expected, measured);
                    }
                });
            } catch (RuntimeException e) {
                inFlight.release();
                failed(e, expected, measured);
            }
        }
    }

    private void failed(Throwable error, int expected, boolean measured) {
        errors.increment();
        firstError.compareAndSet(null, error);
        expectedAll.add(-expected);
        if (measured) {
            sentMeasured.decrement();
            expectedMeasured.add(-expected);
        }
    }

    private void drain() throws InterruptedException {
        long begin = System.nanoTime();
        long last = deliveries.all();
        long lastChange = begin;
        while (deliveries.measured() < expectedMeasured.sum()) {
            Thread.sleep(50);
            long now = System.nanoTime();
            long d = deliveries.all();
            if (d != last) {
                last = d;
                lastChange = now;
            } else if (now - lastChange > QUIET_NANOS || now - begin > MAX_DRAIN_NANOS) {
                return;
            }
        }
    }
}
