package dev.imcluster.broker.mq.mqtt;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.mq.KeyedDispatcher;
import dev.imcluster.broker.mq.MessageBus.EnvelopeHandler;
import dev.imcluster.broker.mq.MessageBus.Subscription;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link MqttBus#subscribe}: one member of job's group, a client with a persistent session in the shared subscription
 * {@code $share/<group>/<topic>}. Its receive maximum is {@code mq.maxInFlight}, so the broker never sends more than
 * the dispatcher may hold; a message is PUBACKed once its handler succeeded, and one that fails is retried in place.
 *
 * <p>The client id is {@code <prefix>-<group>-<serverId>}: a member that crashes and starts again under the same
 * serverId resumes its session and gets first, in order, what it held and what was queued for it meanwhile. A member
 * that closes hands on what it holds: it leaves the shared subscription, publishes again every message it still holds
 * or is still sent (each keeps its stamped position), acknowledges each once the broker took the copy, and ends its
 * session only when all of that succeeded.
 */
final class MqttGroupConsumer implements Subscription {
    private static final Logger LOG = LoggerFactory.getLogger(MqttBus.class);
    /** With nothing arriving for this long and nothing held, the broker has nothing more for this member. */
    private static final Duration QUIET = Duration.ofMillis(500);
    /**
     * A closing member ends its session only this long after its last hand-on was acknowledged: each PUBACK frees a
     * receive-maximum slot, and the broker then sends what it still queues for this session. Ending it sooner would
     * drop that.
     */
    private static final Duration HAND_ON_QUIET = Duration.ofSeconds(1);

    private final MqttBus bus;
    private final String group;
    private final String filter;
    private final String clientId;
    private final KeyedDispatcher dispatcher;
    private final AtomicLong lag;
    private final MqttLink link;
    /** Counts connections: a message is acknowledged only on the connection that received it. */
    private final AtomicInteger generation = new AtomicInteger();
    private final AtomicInteger handingOn = new AtomicInteger();
    private final CompletableFuture<Void> firstSubscribed = new CompletableFuture<>();
    private volatile boolean subscribed;
    private volatile boolean closing;
    private volatile boolean handOnFailed;
    /** Set when a close stopped waiting for hand-ons: nothing was handed on or arrived for mq.publishTimeout. */
    private volatile boolean stalled;
    /** When a message last arrived, or a hand-on was last acknowledged. */
    private volatile long lastActivity = System.nanoTime() - QUIET.toNanos();

    MqttGroupConsumer(MqttBus bus, String group, String clientId, EnvelopeHandler handler) {
        this.bus = bus;
        this.group = group;
        this.filter = "$share/" + group + "/" + bus.settings.topic;
        this.clientId = clientId;
        this.dispatcher = new KeyedDispatcher("mqtt-" + group, handler, bus.metrics, bus.backoff,
                bus.config.mq.maxInFlight, bus.metrics.inFlight(group));
        this.lag = bus.metrics.lag(group);
        this.link = bus.link(new MqttLink.Session(clientId, true, bus.config.mq.maxInFlight), new MqttLink.Listener() {
            @Override
            public void connected(boolean sessionPresent) {
                onConnected(sessionPresent);
            }

            @Override
            public void message(int id, byte[] payload, boolean duplicate) {
                onMessage(id, payload, duplicate);
            }
        });
    }

    /** Connects and waits (up to mq.publishTimeout) for the subscription, so what is published next reaches it. */
    void start() {
        link.start();
        try {
            firstSubscribed.get(bus.config.mq.publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("mqtt {}: {} not subscribed yet ({}); subscribing in the background", bus.settings.url,
                    clientId, e.toString());
        }
    }

    private void onConnected(boolean sessionPresent) {
        generation.incrementAndGet();
        subscribed = false;
        if (closing) {
            return;
        }
        subscribe(sessionPresent, 1);
    }

    /** Also with a session present: the broker may have lost it (no persistence), and SUBSCRIBE is idempotent. */
    private void subscribe(boolean sessionPresent, int attempt) {
        int connection = generation.get();
        link.subscribe(filter).whenComplete((ok, error) -> {
            if (error == null) {
                subscribed = true;
                firstSubscribed.complete(null);
                LOG.info("mqtt {}: {} consuming {} (session {})", bus.settings.url, clientId, filter,
                        sessionPresent ? "resumed" : "new");
                return;
            }
            Duration delay = bus.backoff.delay(attempt);
            bus.stateLog.warn("mqtt {}: {} could not subscribe to {} ({}); trying again in {} ms", bus.settings.url,
                    clientId, filter, error.toString(), delay.toMillis());
            try {
                bus.scheduler.schedule(() -> {
                    if (!closing && link.connected() && generation.get() == connection) {
                        subscribe(sessionPresent, attempt + 1);
                    } // else the next connection subscribes
                }, delay.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // the bus is closing
            }
        });
    }

    private void onMessage(int id, byte[] payload, boolean duplicate) {
        lastActivity = System.nanoTime();
        int received = generation.get();
        Runnable ack = () -> {
            if (generation.get() == received) {
                link.ack(id);
            } // else the broker sends it again on the new connection, where that copy is acknowledged
        };
        PushEnvelope envelope;
        try {
            envelope = PushEnvelope.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            bus.metrics.dropped("undecodable");
            bus.stateLog.warn("mqtt {}: dropping an undecodable message on {}: {}", bus.settings.url,
                    bus.settings.topic, e.getMessage());
            ack.run();
            return;
        }
        if (closing) {
            handOn(envelope, ack);
            return;
        }
        if (duplicate) {
            bus.metrics.redelivered();
        }
        try {
            // The receive maximum keeps the broker within maxInFlight, so this waits only around a reconnect.
            while (!dispatcher.reserve(Duration.ofSeconds(1))) {
                if (closing) {
                    handOn(envelope, ack);
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return; // not acknowledged: stays in this member's session
        }
        dispatcher.dispatch(new KeyedDispatcher.Settled(envelope, ack, null, () -> handOn(envelope, ack), null));
    }

    /**
     * Publishes a held message again for the other members, then acknowledges it. A failed copy is tried again while
     * the close still makes progress; what is left when it stalls stays in this member's session.
     */
    private void handOn(PushEnvelope envelope, Runnable ack) {
        handingOn.incrementAndGet();
        handOn(envelope, ack, 1);
    }

    private void handOn(PushEnvelope envelope, Runnable ack, int attempt) {
        bus.republish(envelope).whenComplete((position, error) -> {
            if (error == null) {
                ack.run();
                lastActivity = System.nanoTime();
                handingOn.decrementAndGet();
                return;
            }
            if (!stalled && link.connected()) {
                Duration delay = bus.backoff.delay(attempt);
                bus.stateLog.warn("mqtt {}: {} could not hand on msg_id {} ({}); trying again in {} ms",
                        bus.settings.url, clientId, envelope.getMsgId(), error.toString(), delay.toMillis());
                try {
                    bus.scheduler.schedule(() -> handOn(envelope, ack, attempt + 1), delay.toMillis(),
                            TimeUnit.MILLISECONDS);
                    return;
                } catch (java.util.concurrent.RejectedExecutionException closed) {
                    // the bus is closing: give up below
                }
            }
            handOnFailed = true;
            bus.stateLog.warn("mqtt {}: {} could not hand on msg_id {} ({}); it stays in this member's session",
                    bus.settings.url, clientId, envelope.getMsgId(), error.toString());
            handingOn.decrementAndGet();
        });
    }

    /**
     * What this member holds, with at least 1 while messages still arrive (the broker may be sending more). MQTT
     * tells no group's backlog: what is queued for another member, a crashed one's session included, is not seen.
     */
    @Override
    public OptionalLong lag() {
        if (!link.connected() || !subscribed) {
            lag.set(-1);
            return OptionalLong.empty();
        }
        long held = dispatcher.inFlight() + handingOn.get();
        if (held == 0 && System.nanoTime() - lastActivity < QUIET.toNanos()) {
            held = 1;
        }
        lag.set(held);
        return OptionalLong.of(held);
    }

    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        try {
            link.unsubscribe(filter).get(bus.config.mq.publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            handOnFailed = true;
        } catch (Exception e) {
            handOnFailed = true; // still in the group: keep the session, so nothing queued for it is dropped
            bus.stateLog.warn("mqtt {}: {} could not leave {}: {}", bus.settings.url, clientId, filter, e.toString());
        }
        // Handlers get closeTimeout to finish; what is left is handed on, and so is what the broker still sends.
        dispatcher.close(bus.config.mq.closeTimeout);
        lastActivity = System.nanoTime(); // what the dispatcher held is being handed on from now
        long stall = bus.config.mq.publishTimeout.toNanos();
        try {
            while (true) {
                long since = System.nanoTime() - lastActivity;
                if (handingOn.get() == 0 && since >= HAND_ON_QUIET.toNanos()) {
                    break;
                }
                if (since >= stall) {
                    stalled = true;
                    break;
                }
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean handedOn = !handOnFailed && handingOn.get() == 0 && link.connected();
        link.close(handedOn);
        bus.unregister(this);
        LOG.info("mqtt {}: {} left group {}{}", bus.settings.url, clientId, group,
                handedOn ? "" : "; its session keeps what it could not hand on");
    }
}
