package dev.imcluster.bench.net;

import java.util.concurrent.CompletableFuture;

/** A subscriber connection's handler. */
public interface BenchClient {
    /** Completes once the client receives (authenticated, subscribed); fails if it closes first. */
    CompletableFuture<Void> ready();

    /** Closes the connection; not counted as unexpected. */
    void close();
}
