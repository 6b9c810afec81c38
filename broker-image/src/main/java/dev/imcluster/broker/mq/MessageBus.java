package dev.imcluster.broker.mq;

import dev.imcluster.broker.api.internal.PushEnvelope;
import java.util.concurrent.CompletableFuture;

/**
 * The queue between logic (publishes) and job (consumes as a group). Implementations: in-memory (one JVM),
 * Kafka, NATS JetStream, Redis Streams and MQTT. Delivery is at-least-once: a message is redelivered until its
 * handler's future completes normally, so handlers must tolerate repeats (comets drop repeated msg ids).
 */
public interface MessageBus extends AutoCloseable {

    /** Backend name as in the config: memory, kafka, nats, redis, mqtt. */
    String name();

    /**
     * Hands the envelope to the queue. The future completes once the queue has accepted it durably (for
     * example, Kafka acks=all) with the position the queue gave it, and fails with {@link BusUnavailableException}
     * when the queue cannot take it.
     */
    CompletableFuture<Position> publish(PushEnvelope envelope);

    /**
     * Starts consuming as a member of {@code group}: each message goes to one member of the group. Messages
     * with the same {@link Envelopes#partitionKey} reach the handler in publish order, one at a time. A message
     * is acknowledged when the handler's future completes normally; if it fails, the message is delivered again
     * (after a backoff).
     * <p>"One at a time" means one handler <em>call</em> at a time: the next message of a key is handed over once
     * the previous call returned, without waiting for its future (up to a bounded number unacknowledged, as a
     * Kafka or JetStream consumer holds fetched records). job relies on this: it acknowledges a room message only
     * when the batch holding it was delivered, so a bus that waited for each future would limit every room to
     * one message per {@code job.roomBatch.maxDelay}. A redelivered message may therefore come after later ones
     * of its key (comets drop repeats by message id).
     * <p>The handler gets each envelope stamped with its {@link Position} (offset and epoch), the same one its
     * publish returned and the same on every redelivery.
     */
    Subscription subscribe(String group, EnvelopeHandler handler);

    /** True while the backend is reachable; shown in /readyz and metrics. */
    boolean healthy();

    @Override
    void close();

    @FunctionalInterface
    interface EnvelopeHandler {
        CompletableFuture<Void> handle(PushEnvelope envelope);
    }

    /** A running consumer; closing it stops consumption (unacknowledged messages are redelivered). */
    interface Subscription extends AutoCloseable {
        /**
         * Messages of this group not yet acknowledged (waiting in the queue or in flight), measured now over the
         * whole group (a network round trip: do not call it on a hot path); empty when the backend cannot tell
         * or is unreachable. Zero, read after the last publish, means the group has handled everything (used to
         * decide that an old backend is drained during a backend swap).
         */
        default java.util.OptionalLong lag() {
            return java.util.OptionalLong.empty();
        }

        @Override
        void close();
    }
}
