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
 * failed is forgotten at once, so that its retry goes through. Repeats within this process share one outcome
 * here; with {@code shared} (the session store's Redis) the key also holds across logic replicas: a repeat that
 * reaches another replica gets the first outcome, waiting up to {@link #PENDING_WAIT} while the first publish is
 * still in flight.
 */
final class IdempotentPublishes {

    private record Entry(CompletableFuture<PushService.Accepted> outcome, long expiresAt) {
    }

    static final Duration PENDING_WAIT = Duration.ofSeconds(5);

    private final SharedIdempotencyKeys shared;
    private final long windowNanos;
    private final int maxKeys;
    private final LongSupplier clock;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    IdempotentPublishes(Duration window, int maxKeys, SharedIdempotencyKeys shared) {
        this(window, maxKeys, shared, System::nanoTime);
    }

    IdempotentPublishes(Duration window, int maxKeys, SharedIdempotencyKeys shared, LongSupplier clock) {
        this.shared = shared;
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
        viaShared(id, publish, now + PENDING_WAIT.toNanos()).whenComplete((accepted, error) -> {
            if (error != null) {
                entries.remove(id, seen);
                mine.completeExceptionally(error);
            } else {
                mine.complete(accepted);
            }
        });
        return mine;
    }

    private CompletableFuture<PushService.Accepted> viaShared(String id,
                                                              Supplier<CompletableFuture<PushService.Accepted>> publish,
                                                              long deadline) {
        if (shared == null) {
            return publish.get();
        }
        return shared.claim(id).thenCompose(claim -> {
            if (claim.claimed()) {
                return publish.get().whenComplete((accepted, error) -> {
                    if (error != null) {
                        shared.release(id);
                    } else {
                        shared.complete(id, accepted); // if this fails, repeats wait, then fail, until it expires
                    }
                });
            }
            if (claim.earlier() != null) {
                return CompletableFuture.completedFuture(claim.earlier());
            }
            if (clock.getAsLong() - deadline > 0) {
                return CompletableFuture.failedFuture(new IllegalStateException("a publish with this idempotency key "
                        + "is still in flight on another logic replica; retry it"));
            }
            return CompletableFuture.runAsync(() -> { },
                            CompletableFuture.delayedExecutor(20, java.util.concurrent.TimeUnit.MILLISECONDS))
                    .thenCompose(waited -> viaShared(id, publish, deadline));
        });
    }

    private void expire(long now) {
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            if (it.next().expiresAt - now <= 0) {
                it.remove();
            }
        }
    }
}
