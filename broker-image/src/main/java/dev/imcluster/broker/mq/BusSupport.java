package dev.imcluster.broker.mq;

import dev.imcluster.broker.config.BrokerConfig;
import java.net.InetAddress;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Small helpers the backends share. */
public final class BusSupport {
    private BusSupport() {
    }

    /** A consumer name unique to this process and subscription: serverId (or host name) plus a random suffix. */
    public static String consumerName(BrokerConfig config) {
        String base = config.serverId;
        if (base == null || base.isBlank()) {
            try {
                base = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                base = "job";
            }
        }
        return base.replaceAll("[^A-Za-z0-9_-]", "_") + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** A failed publish as the contract wants it: BusUnavailableException naming the backend and the reason. */
    public static BusUnavailableException unavailable(String backend, Throwable cause) {
        Throwable t = unwrap(cause);
        if (t instanceof BusUnavailableException b) {
            return b;
        }
        String reason = t instanceof TimeoutException ? "no acknowledgement in time" : String.valueOf(t.getMessage());
        return new BusUnavailableException(backend + " queue unavailable: " + reason, t);
    }

    public static <T> CompletableFuture<T> failed(String backend, Throwable cause) {
        return CompletableFuture.failedFuture(unavailable(backend, cause));
    }

    /**
     * Settles a publish: counts it published or failed, and turns any failure into a
     * {@link BusUnavailableException} (logic's 503 / UNAVAILABLE).
     */
    public static CompletableFuture<Position> settlePublish(CompletableFuture<Position> result, BusMetrics metrics,
                                                           String backend) {
        return result.handle((position, error) -> {
            if (error != null) {
                metrics.publishFailed();
                throw unavailable(backend, error);
            }
            metrics.published();
            return position;
        });
    }
}
