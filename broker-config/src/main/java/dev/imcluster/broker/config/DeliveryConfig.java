package dev.imcluster.broker.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What every role agrees on about delivery: which rooms (and gRPC topics, which are rooms) keep history, and how
 * comets drop redeliveries, which rooms track their members. Read by logic (History, recovery, Presence), job
 * (appends history) and comet (recovery, dedupe, presence reports).
 */
public final class DeliveryConfig {
    /**
     * History per room pattern; the first pattern that matches a room wins, and a room no pattern matches keeps no
     * history (its messages still carry positions). A pattern is the full room id with {@code *} matching any run
     * of characters, for example {@code live://*} or {@code chat://team-*}. Each entry: {@code pattern}, {@code size}
     * (messages kept per room, default 100) and {@code ttl} (how long one is kept, default 5m).
     */
    public List<History> history = new ArrayList<>();
    public Dedupe dedupe = new Dedupe();
    /**
     * Room patterns (as in {@code history}) whose members are tracked across comets for the Presence RPC and for
     * join/leave events to subscribers that ask for them. Empty (the default): no room is tracked, Presence reports
     * counts only; member lists cost more than counts (every comet reports each member every
     * {@code comet.onlineReportInterval}, and each join or leave is published to the room).
     */
    public List<String> presence = new ArrayList<>();

    public static final class History {
        public String pattern;
        /** At most this many messages per room are kept (the oldest go first). */
        public int size = 100;
        /** A message is kept at most this long after it was published. */
        public Duration ttl = Duration.ofMinutes(5);
    }

    /**
     * Redeliveries are dropped by message id within {@code window}, on every path; a subscriber that recovers from a
     * position also drops, by position, live messages its replay already gave it.
     */
    public static final class Dedupe {
        /** How long a message id is remembered: longer than any redelivery takes (the queue's redelivery timeout). */
        public Duration window = Duration.ofMinutes(5);
        /**
         * Memory bound: at most this many ids are remembered (about 24 bytes each, allocated as they arrive). An id forgotten before its
         * window ended is counted in {@code imcluster_comet_dedupe_evicted_total}.
         */
        public int maxIds = 1 << 22;
    }
}
