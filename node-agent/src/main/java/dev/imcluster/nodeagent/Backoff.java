package dev.imcluster.nodeagent;

import java.time.Duration;

/** The restart delay, as the kubelet's CrashLoopBackOff: 1 s doubling to 30 s, reset after 60 s up. */
final class Backoff {
    static final Duration MAX = Duration.ofSeconds(30);
    static final Duration RESET_AFTER = Duration.ofSeconds(60);

    private Duration current = Duration.ofSeconds(1);

    /** The delay before retrying a start that failed (bad spec, missing Secret); the next one doubles. */
    Duration startFailed() {
        Duration delay = current;
        current = doubled(current);
        return delay;
    }

    /** The delay before restarting a container that exited after running for {@code uptime}. */
    Duration exited(Duration uptime) {
        current = uptime.compareTo(RESET_AFTER) > 0 ? Duration.ofSeconds(1) : doubled(current);
        return current;
    }

    private static Duration doubled(Duration d) {
        Duration twice = d.multipliedBy(2);
        return twice.compareTo(MAX) > 0 ? MAX : twice;
    }
}
