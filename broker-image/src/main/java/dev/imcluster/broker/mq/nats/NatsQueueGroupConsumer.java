package dev.imcluster.broker.mq.nats;

import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.mq.Backoff;
import dev.imcluster.broker.mq.BusMetrics;
import dev.imcluster.broker.mq.KeyedDispatcher;
import dev.imcluster.broker.mq.MessageBus.EnvelopeHandler;
import dev.imcluster.broker.mq.MessageBus.Subscription;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Core NATS queue group: at-most-once; no ack exists, a failed handler is retried in this process only. */
final class NatsQueueGroupConsumer implements Subscription {
    private static final Logger LOG = LoggerFactory.getLogger(NatsJetStreamBus.class);

    private final NatsJetStreamBus bus;
    private final BrokerConfig config;
    private final MqConfig.Nats settings;
    private final BusMetrics metrics;
    private final Backoff backoff;
    private final Connection connection;

    private final KeyedDispatcher dispatcher;
    private final Dispatcher natsDispatcher;
    private volatile boolean running = true;

    NatsQueueGroupConsumer(NatsJetStreamBus bus, String group, EnvelopeHandler handler) {
        this.bus = bus;
        this.config = bus.config;
        this.settings = bus.settings;
        this.metrics = bus.metrics;
        this.backoff = bus.backoff;
        this.connection = bus.connection;
        this.dispatcher = new KeyedDispatcher("nats-core-" + group, handler, metrics, backoff,
                config.mq.maxInFlight, metrics.inFlight(group));
        this.natsDispatcher = connection.createDispatcher();
        natsDispatcher.subscribe(settings.subject, group, msg -> {
            PushEnvelope envelope = bus.decode(msg, () -> { });
            if (envelope == null || !NatsJetStreamBus.reserve(dispatcher, () -> running)) {
                return;
            }
            dispatcher.dispatch(new KeyedDispatcher.Delivery() {
                @Override
                public PushEnvelope envelope() {
                    return envelope;
                }

                @Override
                public void ack() {
                }

                @Override
                public void released() {
                    metrics.dropped("core-nats-closed");
                }
            });
        });
        LOG.info("nats core queue group {} on {}: subscribed (at-most-once)", group, settings.subject);
    }

    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        connection.closeDispatcher(natsDispatcher);
        dispatcher.close(config.mq.closeTimeout);
        bus.unregister(this);
    }
}
