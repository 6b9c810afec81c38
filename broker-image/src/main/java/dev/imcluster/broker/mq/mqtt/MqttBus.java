package dev.imcluster.broker.mq.mqtt;

import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.LogicConfig;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.logging.RateLimitedLog;
import dev.imcluster.broker.mq.Backoff;
import dev.imcluster.broker.mq.BusMetrics;
import dev.imcluster.broker.mq.BusSupport;
import dev.imcluster.broker.mq.BusUnavailableException;
import dev.imcluster.broker.mq.MessageBus;
import dev.imcluster.broker.mq.Position;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MQTT (3.1.1 or 5): publish is a QoS 1 PUBLISH of the envelope to {@code mq.mqtt.topic}, complete on the broker's
 * PUBACK; each job member is a client with a persistent session ({@code <prefix>-<group>-<serverId>}) in the shared
 * subscription {@code $share/<group>/<topic>}, acknowledging (manual PUBACK) only what its handler finished.
 *
 * <p>MQTT numbers nothing, so the publisher stamps the position into the envelope before it publishes
 * ({@link PositionSequence}): every delivery, redeliveries included, carries the same one.
 */
public final class MqttBus implements MessageBus {
    private static final Logger LOG = LoggerFactory.getLogger(MqttBus.class);
    /** Publishes waiting for a free slot of the broker's receive maximum, beyond which publish fails at once. */
    private static final int MAX_WAITING = 65_536;

    // Package-private: MqttGroupConsumer reads them.
    final BrokerConfig config;
    final MqConfig.Mqtt settings;
    final BusMetrics metrics;
    final Backoff backoff;
    final SSLContext tls;
    final ScheduledExecutorService scheduler;
    final RateLimitedLog stateLog = new RateLimitedLog(LOG, 30, TimeUnit.SECONDS);
    /** Sessions of members gone without closing that a member of this process took over and ended. */
    final io.micrometer.core.instrument.Counter adopted;
    private final MqttLink publisher;
    private final PositionSequence positions;
    private final CopyOnWriteArrayList<MqttGroupConsumer> subscriptions = new CopyOnWriteArrayList<>();
    /** This process in its group members' client ids: serverId, stable across restarts (see MqttGroupConsumer). */
    private final String member;
    /** Subscriptions per group, so that a second one of a group in this process gets a client id of its own. */
    private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicInteger> members =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** Publishes in order, waiting for a slot; guarded by itself. */
    private final ArrayDeque<Outgoing> waiting = new ArrayDeque<>();
    /** Publishes sent and waiting for their PUBACK; guarded by {@link #waiting}. */
    private final Set<Outgoing> sent = new HashSet<>();
    private volatile boolean closed;

    private record Outgoing(byte[] payload, Position position, CompletableFuture<Position> result) {
    }

    public MqttBus(BrokerConfig config, MeterRegistry meters, SSLContext tls) {
        this.config = config;
        this.settings = config.mq.mqtt;
        this.metrics = new BusMetrics(meters, name(), this::healthy);
        metrics.expectDrops("undecodable");
        this.backoff = new Backoff(config.mq.retryBackoff, config.mq.retryBackoffMax);
        this.adopted = io.micrometer.core.instrument.Counter.builder("imcluster.mq.mqtt.sessions.adopted")
                .description("Sessions of job members gone without closing that a member here took over: it "
                        + "handled what they held and ended them")
                .register(meters);
        this.tls = tls;
        this.member = config.serverId == null || config.serverId.isBlank() ? BusSupport.consumerName(config)
                : config.serverId;
        this.scheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "mqtt-bus");
            t.setDaemon(true);
            return t;
        });
        this.positions = config.logic.sessionStore == LogicConfig.SessionStoreKind.redis
                ? PositionSequence.redis(config) : PositionSequence.local(settings.topic);
        this.publisher = link(new MqttLink.Session(settings.clientIdPrefix + "-pub-" + BusSupport.consumerName(config),
                false, 1), new MqttLink.Listener() {
                    @Override
                    public void connected(boolean sessionPresent) {
                        pump();
                    }

                    @Override
                    public void message(String topic, int id, byte[] payload, boolean duplicate) {
                        // never subscribes
                    }
                });
        publisher.start();
        LOG.info("mqtt bus on {} (MQTT {}, topic {}, positions {})", settings.url,
                settings.protocolVersion == 3 ? "3.1.1" : "5", settings.topic, positions);
    }

    MqttLink link(MqttLink.Session session, MqttLink.Listener listener) {
        return MqttLink.create(settings, session, tls, listener, config.mq.publishTimeout, backoff, scheduler);
    }

    @Override
    public String name() {
        return "mqtt";
    }

    @Override
    public CompletableFuture<Position> publish(PushEnvelope envelope) {
        CompletableFuture<Position> result;
        if (closed || !publisher.connected()) {
            result = CompletableFuture.failedFuture(new BusUnavailableException("mqtt queue unavailable: not "
                    + "connected to " + settings.url));
        } else {
            result = new CompletableFuture<>();
            CompletableFuture<Position> pending = result;
            // Positions are taken and sent in one order: under the lock the sequence is asked (a local one answers
            // at once, so the send happens here too); Redis answers one connection's calls in the order asked.
            synchronized (waiting) {
                positions.next().whenComplete((position, error) -> {
                    if (error != null) {
                        pending.completeExceptionally(error);
                    } else {
                        send(new Outgoing(position.stamp(envelope).toByteArray(), position, pending));
                    }
                });
            }
            result = result.orTimeout(config.mq.publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        return BusSupport.settlePublish(result, metrics, name());
    }

    /**
     * Publishes an envelope that already has its position (a member handing on what it held at close); completes
     * on PUBACK.
     */
    CompletableFuture<Position> republish(PushEnvelope stamped) {
        CompletableFuture<Position> result = new CompletableFuture<>();
        send(new Outgoing(stamped.toByteArray(), new Position(stamped.getOffset(), stamped.getEpoch()), result));
        return result.orTimeout(config.mq.publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void send(Outgoing o) {
        synchronized (waiting) {
            if (waiting.size() >= MAX_WAITING) {
                o.result().completeExceptionally(new BusUnavailableException("mqtt queue unavailable: "
                        + MAX_WAITING + " publishes wait for the broker"));
                return;
            }
            waiting.add(o);
        }
        // Whichever way it ends (PUBACK, refusal, timeout), its slot is free again.
        o.result().whenComplete((p, e) -> {
            boolean freed;
            synchronized (waiting) {
                freed = sent.remove(o);
                waiting.remove(o);
            }
            if (freed) {
                pump();
            }
        });
        pump();
    }

    /** A retained marker (empty: deleted); completes on PUBACK. */
    CompletableFuture<Void> publishRetained(String topic, byte[] payload) {
        if (closed || !publisher.connected()) {
            return CompletableFuture.failedFuture(new BusUnavailableException("mqtt queue unavailable: not "
                    + "connected to " + settings.url));
        }
        return publisher.publishRetained(topic, payload).orTimeout(config.mq.publishTimeout.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Sends waiting publishes, in order, while the broker's receive maximum has room. */
    private void pump() {
        List<Outgoing> failed = new java.util.ArrayList<>();
        synchronized (waiting) {
            while (!waiting.isEmpty() && sent.size() < publisher.sendWindow()) {
                Outgoing o = waiting.poll();
                if (o.result().isDone()) {
                    continue;
                }
                if (!publisher.connected()) {
                    failed.add(o);
                    continue;
                }
                sent.add(o);
                publisher.publish(settings.topic, o.payload()).whenComplete((ok, error) -> {
                    if (error == null) {
                        o.result().complete(o.position());
                    } else {
                        o.result().completeExceptionally(error);
                    }
                });
            }
        }
        failed.forEach(o -> o.result().completeExceptionally(new BusUnavailableException(
                "mqtt queue unavailable: not connected to " + settings.url)));
    }

    /** The client id of a member of {@code group} in this process: the first keeps the same one across restarts. */
    private String clientId(String group) {
        int n = members.computeIfAbsent(group, g -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        return (settings.clientIdPrefix + "-" + group + "-" + member + (n == 1 ? "" : "-" + n))
                .replaceAll("[^A-Za-z0-9_-]", "_");
    }

    @Override
    public Subscription subscribe(String group, EnvelopeHandler handler) {
        MqttGroupConsumer consumer = new MqttGroupConsumer(this, group, clientId(group), handler);
        subscriptions.add(consumer);
        consumer.start();
        return consumer;
    }

    void unregister(MqttGroupConsumer consumer) {
        subscriptions.remove(consumer);
    }

    @Override
    public boolean healthy() {
        return !closed && publisher.connected();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        for (MqttGroupConsumer s : subscriptions) {
            s.close(); // hands on what it holds through the publisher, so that goes last
        }
        closed = true;
        publisher.close();
        scheduler.shutdownNow();
        positions.close();
    }
}
