package dev.imcluster.broker.history;

import dev.imcluster.broker.api.pubsub.HistoryRequest;
import dev.imcluster.broker.api.pubsub.HistoryResponse;
import java.util.concurrent.CompletableFuture;

/** The History RPC over a store: what is retained after a position, and whether that is everything. */
public final class TopicHistory {
    private final HistoryPolicy.Rules rules;
    private final HistoryStore store;
    private final HistoryMetrics metrics;

    public TopicHistory(HistoryPolicy.Rules rules, HistoryStore store, HistoryMetrics metrics) {
        this.rules = rules;
        this.store = store;
        this.metrics = metrics;
    }

    /** Fails (store unreachable) with the store's exception; the caller maps it to UNAVAILABLE. */
    public CompletableFuture<HistoryResponse> read(HistoryRequest req) {
        var policy = rules.forRoom(req.getTopic());
        if (policy.isEmpty()) {
            metrics.read("incomplete");
            return CompletableFuture.completedFuture(HistoryResponse.newBuilder().setComplete(!req.hasSince())
                    .setReason(req.hasSince() ? "no history for this topic (no delivery.history pattern matches it)"
                            : "").build());
        }
        long since = req.hasSince() ? (long) req.getSince().getOffset() : -1;
        return store.read(req.getTopic(), since, req.getLimit(), policy.get()).handle((page, error) -> {
            if (error != null) {
                metrics.read("failed");
                throw error instanceof java.util.concurrent.CompletionException c ? c
                        : new java.util.concurrent.CompletionException(error);
            }
            HistoryResponse.Builder r = HistoryResponse.newBuilder().setPosition(Publications.position(page));
            String why = req.hasSince() ? page.incompleteAfter(since, req.getSince().getEpoch()) : null;
            if (why != null) {
                metrics.read("incomplete");
                return r.setComplete(false).setReason(why).build();
            }
            metrics.read("complete");
            page.messages().forEach(m -> r.addMessages(Publications.response(m)));
            return r.setComplete(true).build();
        });
    }
}
