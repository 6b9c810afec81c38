package dev.imcluster.broker.mq.nats;

import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.mq.KeyedDispatcher;
import dev.imcluster.broker.mq.MessageBus.EnvelopeHandler;
import dev.imcluster.broker.mq.MessageBus.Subscription;
import io.nats.client.Dispatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Core NATS queue group: at-most-once; no ack exists, a failed handler is retried in this process only. */
final class NatsQueueGroupConsumer implements Subscription {
    private static final Logger LOG = LoggerFactory.getLogger(NatsJetStreamBus.class);

    private final NatsJetStreamBus bus;
    private final KeyedDispatcher dispatcher;
    private final Dispatcher natsDispatcher;
    private volatile boolean running = true;

    NatsQueueGroupConsumer(NatsJetStreamBus bus, String group, EnvelopeHandler handler) {
        this.bus = bus;
        this.dispatcher = new KeyedDispatcher("nats-core-" + group, handler, bus.metrics, bus.backoff,
                bus.config.mq.maxInFlight, bus.metrics.inFlight(group));
        this.natsDispatcher = bus.connection.createDispatcher();
        natsDispatcher.subscribe(bus.settings.subject, group, msg -> {
            PushEnvelope envelope = bus.decode(msg, () -> { });
            if (envelope == null || !NatsJetStreamBus.reserve(dispatcher, () -> running)) {
                return;
            }
            // Core NATS has nothing to acknowledge; a message released while closing is lost, and counted.
            dispatcher.dispatch(new KeyedDispatcher.Settled(envelope, null, null,
                    () -> bus.metrics.dropped("core-nats-closed"), null));
        });
        LOG.info("nats core queue group {} on {}: subscribed (at-most-once)", group, bus.settings.subject);
    }

    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        bus.connection.closeDispatcher(natsDispatcher);
        dispatcher.close(bus.config.mq.closeTimeout);
        bus.unregister(this);
    }
}
