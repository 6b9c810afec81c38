package dev.imcluster.broker.job;

import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.history.HistoryMetrics;
import dev.imcluster.broker.history.HistoryPolicy;
import dev.imcluster.broker.history.HistoryStore;
import dev.imcluster.broker.logging.RateLimitedLog;
import dev.imcluster.broker.session.Presence;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends each room batch to history (delivery.history) before it is fanned out, so that whatever a client
 * received is already retained when it asks to recover. An append that fails does not hold up live delivery: it
 * is counted, and the room's floor is raised past the batch at its next append, so that recovery across the
 * hole says recovered=false instead of skipping it. Presence events are delivered but never retained.
 */
final class RoomHistory {

    private static final Logger log = LoggerFactory.getLogger(RoomHistory.class);

    private final HistoryPolicy.Rules rules;
    private final HistoryStore store;
    private final HistoryMetrics metrics;
    private final RateLimitedLog failureLog = new RateLimitedLog(log, 10, TimeUnit.SECONDS);

    RoomHistory(HistoryPolicy.Rules rules, HistoryStore store, HistoryMetrics metrics) {
        this.rules = rules;
        this.store = store;
        this.metrics = metrics;
    }

    /** One room's append state; used under the room's lock (a room's batches go out one at a time). */
    final class Track {
        private final String room;
        private final HistoryPolicy policy;
        private String epoch = "";
        private long previous = -1;
        private long lostUpTo = -1;
        /** Epochs this room moved on from (a backend swap): their stragglers are delivered, not retained. */
        private final Set<String> retired = new HashSet<>();

        private Track(String room, HistoryPolicy policy) {
            this.room = room;
            this.policy = policy;
        }

        /**
         * Appends the batch's positioned messages of the room's current epoch; never fails. Done once every part
         * is stored (or failed), so a batch across a backend swap goes out only with both epochs' parts retained.
         */
        synchronized CompletableFuture<Void> append(List<RoomMessage> batch) {
            CompletableFuture<Void> oldEpochPart = null;
            List<RoomMessage> kept = new ArrayList<>(batch.size());
            for (RoomMessage m : batch) {
                if (m.getEpoch().isEmpty() || retired.contains(m.getEpoch()) || Presence.isEvent(m.getHeadersMap())) {
                    continue;
                }
                if (!m.getEpoch().equals(epoch)) {
                    if (!epoch.isEmpty()) {
                        retired.add(epoch);
                    }
                    if (!kept.isEmpty()) {
                        oldEpochPart = appendRun(kept); // the old epoch's part first, then the new one starts
                        kept = new ArrayList<>();
                    }
                    epoch = m.getEpoch();
                    previous = -1;
                    lostUpTo = -1;
                }
                kept.add(m);
            }
            CompletableFuture<Void> last = kept.isEmpty() ? CompletableFuture.completedFuture(null) : appendRun(kept);
            return oldEpochPart == null ? last : CompletableFuture.allOf(oldEpochPart, last);
        }

        private CompletableFuture<Void> appendRun(List<RoomMessage> run) {
            long first = run.get(0).getOffset();
            long last = run.get(run.size() - 1).getOffset();
            long floorIfNew = previous >= 0 ? previous : first - 1;
            long lost = lostUpTo;
            String runEpoch = epoch;
            previous = last;
            CompletableFuture<Void> appended;
            try {
                appended = store.append(room, run, policy, floorIfNew, lost);
            } catch (RuntimeException e) {
                appended = CompletableFuture.failedFuture(e);
            }
            return appended.handle((ok, error) -> {
                synchronized (this) {
                    // A retired epoch's offsets mean nothing in the current one: its outcome moves no floor.
                    boolean current = runEpoch.equals(epoch);
                    if (error == null) {
                        if (current && lostUpTo == lost) {
                            lostUpTo = -1;
                        }
                    } else {
                        if (current) {
                            lostUpTo = Math.max(lostUpTo, last);
                        }
                        metrics.appendFailed();
                        failureLog.warn("history append for room {} failed ({} message(s) delivered live but not "
                                + "retained): {}", room, run.size(), error.getMessage());
                    }
                }
                return null;
            });
        }
    }

    /** The room's append state, or null when no delivery.history pattern matches it. */
    Track track(String room) {
        return rules.forRoom(room).map(policy -> new Track(room, policy)).orElse(null);
    }
}
