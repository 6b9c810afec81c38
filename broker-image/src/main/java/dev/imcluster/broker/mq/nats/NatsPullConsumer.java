package dev.imcluster.broker.mq.nats;

import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.mq.KeyedDispatcher;
import dev.imcluster.broker.mq.MessageBus.EnvelopeHandler;
import dev.imcluster.broker.mq.MessageBus.Subscription;
import io.nats.client.ConsumeOptions;
import io.nats.client.ConsumerContext;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.MessageConsumer;
import io.nats.client.StreamContext;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.MessageInfo;
import io.nats.client.support.NatsJetStreamConstants;
import java.io.IOException;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A member of the durable pull consumer named after the group. */
final class NatsPullConsumer implements Subscription {
    private static final Logger LOG = LoggerFactory.getLogger(NatsJetStreamBus.class);

    private final NatsJetStreamBus bus;
    private final String group;
    private final KeyedDispatcher dispatcher;
    private final AtomicLong lag;
    private volatile boolean running = true;
    /** Set by close() before it waits for the maintenance lock, so that a replay in start() stops early. */
    private volatile boolean closing;
    private volatile ConsumerContext consumer;
    private volatile MessageConsumer pulling;
    private final AtomicInteger lagTick = new AtomicInteger();
    /** Messages handed to the dispatcher and not yet acked or released (kept ours while they wait). */
    private final java.util.Set<Message> held = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile long nextRefreshAt;

    NatsPullConsumer(NatsJetStreamBus bus, String group, EnvelopeHandler handler) {
        this.bus = bus;
        this.group = group;
        this.dispatcher = new KeyedDispatcher("nats-" + group, handler, bus.metrics, bus.backoff,
                bus.config.mq.maxInFlight, bus.metrics.inFlight(group));
        this.lag = bus.metrics.lag(group);
    }

    /** Starts pulling once the stream is ready; reports lag every few seconds. */
    synchronized void maintain() {
        if (!running || !bus.trySetupStream()) {
            return;
        }
        if (pulling == null) {
            start();
        }
        if (lagTick.getAndIncrement() % 5 == 0) {
            lag(); // refreshes the gauge
        }
        long now = System.nanoTime();
        if (now - nextRefreshAt >= 0 && bus.connected()) {
            nextRefreshAt = now + bus.settings.ackWait.toNanos() / 3;
            // In-progress acks for everything we hold, including messages queued behind a slow or retried
            // message of their key, so JetStream does not redeliver them elsewhere while we are alive.
            for (Message m : held) {
                m.inProgress();
            }
        }
    }

    private void start() {
        ConsumerConfiguration cc = ConsumerConfiguration.builder()
                .durable(group)
                .filterSubject(bus.settings.subject)
                .deliverPolicy(DeliverPolicy.All)
                .ackPolicy(AckPolicy.Explicit)
                .ackWait(bus.settings.ackWait)
                .maxDeliver(bus.settings.maxDeliver)
                .maxAckPending(bus.config.mq.maxInFlight)
                .build();
        try {
            consumer = bus.connection.getStreamContext(bus.settings.stream).createOrUpdateConsumer(cc);
            replayUnacknowledged(consumer);
            // Short pull expiry: its heartbeats notice a server restart within seconds and pull again.
            pulling = consumer.consume(ConsumeOptions.builder()
                    .batchSize(Math.min(bus.config.mq.maxInFlight, 256)).expiresIn(5000).build(), this::onMessage);
            LOG.info("nats consumer {} on stream {}: pulling", group, bus.settings.stream);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            bus.stateLog.warn("nats consumer {} not started yet: {}", group, e.getMessage());
        }
    }

    /**
     * Before pulling, hands the dispatcher again, in stream order, what the group was given and had not acked:
     * every message after the ack floor up to the last delivered one. JetStream redelivers the unacked ones only
     * after ackWait, behind newer messages; replaying them first keeps a room's order across a job crash, as
     * Kafka's committed offset does. A replayed message is read from the stream and cannot be acked: the
     * durable's own redelivery comes later, the comets drop it (as they drop the replayed ones that had reached
     * them before the crash) by message id, and it is acked then.
     */
    private void replayUnacknowledged(ConsumerContext durable) throws IOException, JetStreamApiException {
        ConsumerInfo info = durable.getConsumerInfo();
        long last = info.getDelivered().getStreamSequence();
        long next = info.getAckFloor().getStreamSequence() + 1;
        if (info.getNumAckPending() == 0 || next > last) {
            return;
        }
        StreamContext stream = bus.connection.getStreamContext(bus.settings.stream);
        int replayed = 0;
        while (next <= last && !closing) {
            MessageInfo stored;
            try {
                stored = stream.getNextMessage(next, bus.settings.subject);
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() == NatsJetStreamConstants.JS_NO_MESSAGE_FOUND_ERR) {
                    break; // nothing stored from here on (purged or expired)
                }
                throw e;
            }
            if (stored == null || stored.getSeq() > last) {
                break;
            }
            next = stored.getSeq() + 1;
            PushEnvelope envelope = bus.decode(stored.getData(), stored.getSeq(), stored.getSubject(), null);
            if (envelope == null || !NatsJetStreamBus.reserve(dispatcher, () -> !closing)) {
                continue;
            }
            replayed++;
            // No callbacks: settled by the durable's redelivery (see above).
            dispatcher.dispatch(new KeyedDispatcher.Settled(envelope, null, null, null, null));
        }
        if (replayed > 0) {
            bus.metrics.redelivered(replayed);
            LOG.info("nats consumer {}: replayed {} unacknowledged messages before pulling new ones", group,
                    replayed);
        }
    }

    private void onMessage(Message msg) {
        if (!msg.isJetStream()) {
            return; // status messages are handled by the client library
        }
        PushEnvelope envelope = bus.decode(msg, msg::ack);
        if (envelope == null) {
            return;
        }
        if (!running || !NatsJetStreamBus.reserve(dispatcher, () -> running)) {
            msg.nak(); // closing: hand it back at once
            return;
        }
        if (msg.metaData().deliveredCount() > 1) {
            bus.metrics.redelivered();
        }
        held.add(msg);
        dispatcher.dispatch(new KeyedDispatcher.Settled(envelope,
                () -> {
                    held.remove(msg);
                    msg.ack();
                },
                attempt -> msg.inProgress(), // we hold it (in order) while retrying: no redelivery elsewhere
                () -> {
                    held.remove(msg);
                    if (bus.connected()) {
                        msg.nak(); // give it back now rather than after ackWait
                    }
                },
                null));
    }

    /** Measured now (consumer info), for the whole group: numPending + numAckPending. */
    @Override
    public OptionalLong lag() {
        ConsumerContext c = consumer;
        if (c == null || !bus.connected()) {
            return OptionalLong.empty();
        }
        try {
            ConsumerInfo info = c.getConsumerInfo();
            long v = info.getNumPending() + info.getNumAckPending();
            lag.set(v);
            return OptionalLong.of(v);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            bus.stateLog.warn("nats consumer {}: cannot read its info: {}", group, e.getMessage());
            return OptionalLong.empty();
        }
    }

    @Override
    public void close() {
        closing = true;
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
        }
        MessageConsumer p = pulling;
        if (p != null) {
            // Stop pulling and drop our pull subscription first: a nak'ed message is then redelivered to
            // another replica's pull, not bounced back into ours. Acks still work without it.
            p.stop();
            try {
                p.close();
            } catch (Exception e) {
                LOG.debug("closing the nats consumer", e);
            }
        }
        dispatcher.close(bus.config.mq.closeTimeout);
        bus.flushQuietly(); // the acks and naks just sent must reach the server before anything closes
        bus.unregister(this);
        LOG.info("nats consumer {}: stopped", group);
    }
}
