package dev.imcluster.operator;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bounded shutdown on SIGTERM, and the exit when the Lease is lost.
 *
 * <p>JOSDK's default on losing leadership is {@code System.exit(1)} from the leader-election callback. Stopping the
 * operator from a shutdown hook cancels the elector, which fires that callback, and {@code System.exit} inside a
 * shutdown hook blocks forever: the process never ended after SIGTERM. So the operator is built with
 * exit-on-stop-leading off and these callbacks: a lost Lease while running still exits (from a fresh thread, so a
 * new replica rejoins the election), a lost Lease because we are stopping does nothing.
 *
 * <p>The hook gives in-flight reconciliations {@link #RECONCILE_GRACE} to finish (JOSDK then interrupts them) and
 * halts the process if the whole stop takes longer than {@link #DEADLINE}, below the pod's 30 s grace period.
 */
final class GracefulShutdown {
    static final Duration RECONCILE_GRACE = Duration.ofSeconds(10);
    static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final Logger LOG = LoggerFactory.getLogger(GracefulShutdown.class);

    private final AtomicBoolean stopping = new AtomicBoolean();

    LeaderCallbacks leaderCallbacks() {
        return new LeaderCallbacks(() -> { }, this::onStopLeading, leader -> { });
    }

    private void onStopLeading() {
        if (stopping.get()) {
            return;
        }
        LOG.error("lost the leader-election Lease while running; exiting so that this replica rejoins the election");
        Thread exit = new Thread(() -> System.exit(1), "lease-lost-exit");
        exit.start();
    }

    /** Registers the hook; {@code stop} runs on a separate thread so that the deadline can be enforced. */
    void install(Runnable stop) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            LOG.info("shutting down (deadline {} s)", DEADLINE.toSeconds());
            Thread stopper = new Thread(stop, "operator-stop");
            stopper.setDaemon(true);
            stopper.start();
            try {
                stopper.join(DEADLINE.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (stopper.isAlive()) {
                LOG.error("the operator did not stop within {} s; halting", DEADLINE.toSeconds());
                Runtime.getRuntime().halt(1);
            }
            LOG.info("stopped");
        }, "shutdown"));
    }
}
