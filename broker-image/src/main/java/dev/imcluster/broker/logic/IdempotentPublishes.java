package dev.imcluster.broker.logic;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Publishes with an idempotency key: a repeat of a (topic, key) within {@code logic.idempotencyWindow} gets the
 * first publish's outcome instead of publishing again, so a retried publish is delivered once. A publish that
 * failed is forgotten at once, so that its retry goes through. Kept in this logic process: a retry that reaches
 * another logic replica publishes again (comets then drop nothing: it is a new message).
 */
final class IdempotentPublishes {

    private record Entry(CompletableFuture<PushService.Accepted> outcome, long expiresAt) {
    }

    private final long windowNanos;
    private final int maxKeys;
    private final LongSupplier clock;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    IdempotentPublishes(Duration window, int maxKeys) {
        this(window, maxKeys, System::nanoTime);
    }

    IdempotentPublishes(Duration window, int maxKeys, LongSupplier clock) {
        this.windowNanos = window.toNanos();
        this.maxKeys = maxKeys;
        this.clock = clock;
    }

    CompletableFuture<PushService.Accepted> publish(String topic, String key,
                                                    Supplier<CompletableFuture<PushService.Accepted>> publish) {
        if (key.isEmpty() || windowNanos == 0) {
            return publish.get();
        }
        long now = clock.getAsLong();
        if (entries.size() >= maxKeys) {
            expire(now);
            if (entries.size() >= maxKeys) {
                return publish.get(); // bounded memory wins over the promise; logic.idempotencyMaxKeys says so
            }
        }
        String id = topic.length() + ":" + topic + key;
        CompletableFuture<PushService.Accepted> mine = new CompletableFuture<>();
        Entry seen = entries.compute(id, (k, e) -> e != null && e.expiresAt - now > 0 ? e
                : new Entry(mine, now + windowNanos));
        if (seen.outcome != mine) {
            return seen.outcome;
        }
        publish.get().whenComplete((accepted, error) -> {
            if (error != null) {
                entries.remove(id, seen);
                mine.completeExceptionally(error);
            } else {
                mine.complete(accepted);
            }
        });
        return mine;
    }

    private void expire(long now) {
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            if (it.next().expiresAt - now <= 0) {
                it.remove();
            }
        }
    }
}
