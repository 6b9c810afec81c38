package dev.imcluster.broker.mq.mqtt;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.mq.KeyedDispatcher;
import dev.imcluster.broker.mq.MessageBus.EnvelopeHandler;
import dev.imcluster.broker.mq.MessageBus.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 *
 * <p>A member gone without closing (a crash, a lost node, a pod replaced under another name) is adopted by another
 * ({@link OrphanWatch}). A member that starts takes over one such session whole: it consumes as that client id, so
 * what the gone one held comes first, in order, as after a restart under the same serverId. A live member (or a
 * starting one, for further gone sessions) connects as the gone one beside its own connection, takes that session out
 * of the group once its own subscription is in, handles what the session held and was queued for it like its own
 * messages, and ends the session when nothing more comes.
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
    /** The client id from serverId: this member's own session. */
    private final String ownId;
    /** The client id it consumes as: its own, or that of a gone member whose session it took over at start. */
    private volatile String clientId;
    private final KeyedDispatcher dispatcher;
    private final AtomicLong lag;
    private volatile MqttLink link;
    /** Counts connections: a message is acknowledged only on the connection that received it. */
    private final AtomicInteger generation = new AtomicInteger();
    private final AtomicInteger handingOn = new AtomicInteger();
    private final CompletableFuture<Void> firstSubscribed = new CompletableFuture<>();
    private volatile boolean subscribed;
    private volatile boolean closing;
    /** Set by {@link #crash()}: nothing reaches the broker any more. */
    private volatile boolean crashed;
    private volatile boolean handOnFailed;
    /** Set when a close stopped waiting for hand-ons: nothing was handed on or arrived for mq.publishTimeout. */
    private volatile boolean stalled;
    /** When a message last arrived, or a hand-on was last acknowledged. */
    private volatile long lastActivity = System.nanoTime() - QUIET.toNanos();
    private final OrphanWatch watch;
    private final Set<Adoption> adoptions = ConcurrentHashMap.newKeySet();
    /** Gone members claimed while starting, before this member has a connection. */
    private final List<String> claimedAtStart = new CopyOnWriteArrayList<>();

    MqttGroupConsumer(MqttBus bus, String group, String clientId, EnvelopeHandler handler) {
        this.bus = bus;
        this.group = group;
        this.filter = "$share/" + group + "/" + bus.settings.topic;
        this.ownId = clientId;
        this.clientId = clientId;
        this.dispatcher = new KeyedDispatcher("mqtt-" + group, handler, bus.metrics, bus.backoff,
                bus.config.mq.maxInFlight, bus.metrics.inFlight(group));
        this.lag = bus.metrics.lag(group);
        this.watch = new OrphanWatch(bus, group, clientId, this::adopt);
    }

    private MqttLink memberLink(String id) {
        return bus.link(new MqttLink.Session(id, true, bus.config.mq.maxInFlight,
                new MqttLink.Will(watch.marker(id), OrphanWatch.GONE), true), new MqttLink.Listener() {
                    @Override
                    public void connected(boolean sessionPresent) {
                        onConnected(sessionPresent);
                    }

                    @Override
                    public void message(String topic, int id, byte[] payload, boolean duplicate) {
                        onMessage(id, payload, duplicate);
                    }
                });
    }

    /**
     * Reads the members' markers and claims the gone ones: it consumes as one of them (its own from an earlier run
     * first), adopts the others, then connects and waits (up to mq.publishTimeout) for its subscription, so what is
     * published next reaches it.
     */
    void start() {
        watch.start();
        synchronized (claimedAtStart) {
            if (!claimedAtStart.isEmpty()) {
                clientId = claimedAtStart.contains(ownId) ? ownId : claimedAtStart.get(0);
                claimedAtStart.remove(clientId);
                if (!clientId.equals(ownId)) {
                    bus.adopted.increment();
                    LOG.info("mqtt {}: {} consumes as {}: it takes over that session, of a member gone without "
                            + "closing, whole, so what that one held comes first", bus.settings.url, ownId, clientId);
                }
            }
            watch.consumingAs(clientId);
            link = memberLink(clientId);
            claimedAtStart.forEach(this::startAdoption);
            claimedAtStart.clear();
        }
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
        watch.set(clientId, OrphanWatch.CLEARED); // back: not an orphan (a member adopting it was just cut off)
        subscribe(sessionPresent, 1);
    }

    /** Also with a session present: the broker may have lost it (no persistence), and SUBSCRIBE is idempotent. */
    private void subscribe(boolean sessionPresent, int attempt) {
        int connection = generation.get();
        link.subscribe(filter).whenComplete((ok, error) -> {
            if (error == null) {
                subscribed = true;
                firstSubscribed.complete(null);
                adoptions.forEach(Adoption::leaveGroup);
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
            } catch (RejectedExecutionException closed) {
                // the bus is closing
            }
        });
    }

    private void onMessage(int id, byte[] payload, boolean duplicate) {
        int received = generation.get();
        receive(payload, duplicate, () -> {
            if (generation.get() == received) {
                link.ack(id);
            } // else the broker sends it again on the new connection, where that copy is acknowledged
        });
    }

    /** A message of this member's session or of one it adopted: handled, or handed on when closing, then acked. */
    private void receive(byte[] payload, boolean duplicate, Runnable ack) {
        lastActivity = System.nanoTime();
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
        if (crashed) {
            return;
        }
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
                } catch (RejectedExecutionException closed) {
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
        if (link == null || !link.connected() || !subscribed) {
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
        // An adopted session still in the group would keep receiving; one that cannot leave is let go at once.
        adoptions.forEach(Adoption::leaveGroupBeforeClose);
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
        adoptions.forEach(Adoption::end);
        boolean handedOn = !handOnFailed && handingOn.get() == 0 && link.connected();
        if (!handedOn) {
            watch.setNow(clientId, OrphanWatch.GONE); // another member, or the next to start, adopts what is left
        }
        link.close(handedOn);
        watch.close();
        bus.unregister(this);
        LOG.info("mqtt {}: {} left group {}{}", bus.settings.url, clientId, group,
                handedOn ? "" : "; its session keeps what it could not hand on");
    }

    /**
     * What a crash (kill -9, a lost node) looks like to the broker: every connection of this member ends without
     * DISCONNECT, nothing is handed on or acknowledged any more. For tests.
     */
    void crash() {
        closing = true;
        crashed = true;
        link.drop();
        adoptions.forEach(a -> a.link.drop());
        watch.close();
        dispatcher.close(Duration.ZERO);
        bus.unregister(this);
    }

    /** A gone member this member claimed: taken over whole while starting, else adopted beside its own session. */
    private void adopt(String orphan) {
        synchronized (claimedAtStart) {
            if (link == null) {
                claimedAtStart.add(orphan);
                return;
            }
        }
        if (closing) {
            watch.released(orphan);
            watch.set(orphan, OrphanWatch.GONE);
            return;
        }
        startAdoption(orphan);
    }

    private void startAdoption(String orphan) {
        Adoption adoption = new Adoption(orphan);
        adoptions.add(adoption);
        adoption.link.start();
    }

    /**
     * The session of a member gone without closing, which this member took over: its messages go through this
     * member's dispatcher and are acknowledged on the orphan's connection. The connection is not made again once
     * lost, since that is how the owner coming back (same client id) looks.
     */
    private final class Adoption {
        final String orphan;
        final MqttLink link;
        final CompletableFuture<Void> connected = new CompletableFuture<>();
        /** Received from the orphan's session and not yet acknowledged. */
        final AtomicInteger held = new AtomicInteger();
        final AtomicInteger taken = new AtomicInteger();
        final AtomicBoolean leaving = new AtomicBoolean();
        volatile boolean present;
        volatile boolean left;
        volatile boolean over;
        volatile long lastArrival = System.nanoTime();
        ScheduledFuture<?> check;

        Adoption(String orphan) {
            this.orphan = orphan;
            // If this member dies while adopting, its will marks the orphan gone again for another member.
            this.link = bus.link(new MqttLink.Session(orphan, true, bus.config.mq.maxInFlight,
                    new MqttLink.Will(watch.marker(orphan), OrphanWatch.GONE), false), new MqttLink.Listener() {
                        @Override
                        public void connected(boolean sessionPresent) {
                            onAdopted(sessionPresent);
                        }

                        @Override
                        public void message(String topic, int id, byte[] payload, boolean duplicate) {
                            lastArrival = System.nanoTime();
                            held.incrementAndGet();
                            taken.incrementAndGet();
                            receive(payload, duplicate, () -> {
                                link.ack(id);
                                held.decrementAndGet();
                                lastArrival = System.nanoTime(); // a slot is free: the broker sends what it has
                            });
                        }

                        @Override
                        public void lost(Throwable cause) {
                            over = true;
                            stopChecking();
                            adoptions.remove(Adoption.this);
                            watch.lost(orphan);
                            LOG.info("mqtt {}: {} let go of the session of {} ({}): its owner is back or the broker "
                                    + "went away; what it still holds stays in it", bus.settings.url, clientId,
                                    orphan, String.valueOf(cause));
                        }
                    });
        }

        private void onAdopted(boolean sessionPresent) {
            present = sessionPresent;
            connected.complete(null);
            if (!sessionPresent) {
                finish(); // expired or ended meanwhile: nothing to take
                return;
            }
            leaveGroup();
            try {
                check = bus.scheduler.scheduleWithFixedDelay(this::checkDone, 200, 200, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // the bus is closing: close() ends this adoption
            }
        }

        /** Takes the orphan out of the group once this member's own subscription is in, so nothing is unserved. */
        void leaveGroup() {
            if (!present || over || !subscribed || !leaving.compareAndSet(false, true)) {
                return;
            }
            link.unsubscribe(filter).whenComplete((ok, error) -> {
                if (error == null) {
                    left = true;
                } else {
                    leaving.set(false); // checkDone tries again
                    bus.stateLog.warn("mqtt {}: {} could not take the session of {} out of {} ({})",
                            bus.settings.url, clientId, orphan, filter, error.toString());
                }
            });
        }

        void leaveGroupBeforeClose() {
            if (over || left || !present) {
                return;
            }
            leaving.set(false);
            try {
                link.unsubscribe(filter).get(bus.config.mq.publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
                left = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                over = true;
                stopChecking();
                link.drop(); // its will marks it gone: another member adopts it
            }
        }

        private void checkDone() {
            if (over) {
                return;
            }
            if (!left) {
                leaveGroup();
                return;
            }
            if (held.get() == 0 && System.nanoTime() - lastArrival >= HAND_ON_QUIET.toNanos()) {
                finish();
            }
        }

        /** Nothing more comes from the orphan's session, and it holds nothing: end it and clear its marker. */
        private synchronized void finish() {
            if (over) {
                return;
            }
            over = true;
            stopChecking();
            link.close(true);
            watch.set(orphan, OrphanWatch.CLEARED);
            adoptions.remove(this);
            watch.released(orphan);
            if (present) {
                bus.adopted.increment();
            }
            LOG.info("mqtt {}: {} ended the session of {}{}", bus.settings.url, clientId, orphan,
                    present ? " after handling the " + taken.get() + " message(s) it held or was sent"
                            : "; the broker had no session for it any more");
        }

        /** This member is closing: a finished adoption ends the session; else it is let go for another member. */
        void end() {
            if (over) {
                return;
            }
            if (left && held.get() == 0) {
                finish();
                return;
            }
            over = true;
            stopChecking();
            link.drop();
            adoptions.remove(this);
        }

        private void stopChecking() {
            if (check != null) {
                check.cancel(false);
            }
        }
    }
}
