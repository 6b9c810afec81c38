package dev.imcluster.broker.mq.mqtt;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the sessions of job members that went away without closing (a crash, a lost node, a pod replaced under
 * another name), so that a live member adopts them instead of leaving what they hold, and their share of the group,
 * until the session expires.
 *
 * <p>Each member has a retained marker, {@code <topic>/members/<group>/<clientId>}. Its will sets the marker to
 * {@code gone} when its connection ends without DISCONNECT; the member clears it each time it connects, and a member
 * that closes with messages it could not hand on sets it itself. A member watching the markers claims a {@code gone}
 * one ({@code adopting <its id>}), then adopts it; the adopting connection carries the same will, so a claim whose
 * adopter dies is {@code gone} again. A member that starts reads the markers first, so it can consume as a gone
 * member (its own from an earlier run first) and take over that session whole.
 */
final class OrphanWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MqttBus.class);
    static final byte[] GONE = "gone".getBytes(UTF_8);
    static final byte[] CLEARED = new byte[0];
    private static final String ADOPTING = "adopting ";
    private static final byte[] SYNC = "sync".getBytes(UTF_8);
    /** Members that see one marker at once spread their claims over this, so one claims it and the rest see that. */
    private static final Duration CLAIM_SPREAD = Duration.ofSeconds(1);

    private final MqttBus bus;
    private final String base;
    private final String own;
    private final String watchId;
    private final Consumer<String> adopt;
    private final MqttLink link;
    /** The markers as last seen, by client id: {@code gone} or {@code adopting <id>}; cleared ones are absent. */
    private final Map<String, String> markers = new ConcurrentHashMap<>();
    /** Orphans this member claimed and adopts. */
    private final Set<String> claimed = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> synced = new CompletableFuture<>();
    /** Claims made while starting: start() waits for them, so adoptions begin before this member consumes. */
    private final List<CompletableFuture<Void>> startupClaims =
            new CopyOnWriteArrayList<>();
    private volatile boolean started;
    /** The client id its member consumes as, whose marker it clears itself; none while starting. */
    private volatile String consumingAs = "";
    private volatile boolean closed;

    OrphanWatch(MqttBus bus, String group, String own, Consumer<String> adopt) {
        this.bus = bus;
        this.base = bus.settings.topic + "/members/" + group;
        this.own = own;
        this.watchId = own + "-watch";
        this.adopt = adopt;
        this.link = bus.link(new MqttLink.Session(watchId, false, 64), new MqttLink.Listener() {
            @Override
            public void connected(boolean sessionPresent) {
                onConnected();
            }

            @Override
            public void message(String topic, int id, byte[] payload, boolean duplicate) {
                link.ack(id);
                onMarker(topic.substring(topic.lastIndexOf('/') + 1), payload);
            }
        });
    }

    /** The marker topic of a member. */
    String marker(String clientId) {
        return base + "/" + clientId;
    }

    /**
     * Connects, reads the retained markers (up to mq.publishTimeout) and claims the orphans among them, so that
     * their adoption starts before this member consumes.
     */
    void start() {
        link.start();
        long timeout = bus.config.mq.publishTimeout.toMillis();
        try {
            synced.get(timeout, TimeUnit.MILLISECONDS);
            CompletableFuture.allOf(startupClaims.toArray(CompletableFuture[]::new)).get(timeout,
                    TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("mqtt {}: {} has not read the members' markers yet ({}); adopting what it finds later",
                    bus.settings.url, own, e.toString());
        }
        started = true;
    }

    private void onConnected() {
        if (closed) {
            return;
        }
        link.subscribe(base + "/+")
                // Retained markers come right after the SUBACK: once this publish comes back, they are all here.
                .thenCompose(ok -> link.publish(marker(watchId), SYNC))
                .whenComplete((ok, error) -> {
                    if (error != null) {
                        bus.stateLog.warn("mqtt {}: {} cannot watch the members' markers ({})", bus.settings.url,
                                own, error.toString());
                    }
                });
    }

    private void onMarker(String clientId, byte[] payload) {
        if (clientId.equals(watchId)) {
            synced.complete(null);
            return;
        }
        if (clientId.equals(consumingAs) || clientId.endsWith("-watch")) {
            return; // its member's marker: cleared when it connects
        }
        String state = new String(payload, UTF_8);
        if (state.isEmpty()) {
            markers.remove(clientId);
            return;
        }
        markers.put(clientId, state);
        if (state.equals("gone") && !claimed.contains(clientId)) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            if (!started) {
                startupClaims.add(done); // no spread: a member that starts adopts before it consumes
            }
            long spread = started ? ThreadLocalRandom.current().nextLong(CLAIM_SPREAD.toMillis()) : 0;
            try {
                bus.scheduler.schedule(() -> claim(clientId, done), spread, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                done.complete(null); // closing
            }
        }
    }

    private void claim(String orphan, CompletableFuture<Void> done) {
        if (closed || orphan.equals(consumingAs) || !"gone".equals(markers.get(orphan)) || !claimed.add(orphan)) {
            done.complete(null);
            return; // cleared, claimed by another member, or already ours
        }
        byte[] claim = (ADOPTING + own).getBytes(UTF_8);
        link.publishRetained(marker(orphan), claim).whenComplete((ok, error) -> {
            try {
                if (error != null) {
                    claimed.remove(orphan);
                    bus.stateLog.warn("mqtt {}: {} could not claim the session of {} ({}); it stays for later",
                            bus.settings.url, own, orphan, error.toString());
                    return;
                }
                markers.put(orphan, ADOPTING + own);
                LOG.info("mqtt {}: {} adopts the session of {}, gone without closing", bus.settings.url, own,
                        orphan);
                adopt.accept(orphan);
            } finally {
                done.complete(null);
            }
        });
    }

    /** Sets a marker (retained), trying again with backoff until the broker took it or this watch closed. */
    void set(String clientId, byte[] state) {
        set(clientId, state, 1);
    }

    private void set(String clientId, byte[] state, int attempt) {
        link.publishRetained(marker(clientId), state).whenComplete((ok, error) -> {
            if (error == null || closed) {
                return;
            }
            Duration delay = bus.backoff.delay(attempt);
            bus.stateLog.warn("mqtt {}: {} could not set the marker of {} ({}); trying again in {} ms",
                    bus.settings.url, own, clientId, error.toString(), delay.toMillis());
            try {
                bus.scheduler.schedule(() -> set(clientId, state, attempt + 1), delay.toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // closing
            }
        });
    }

    /** Sets a marker now, waiting up to mq.publishTimeout (at close, before the link goes). */
    void setNow(String clientId, byte[] state) {
        try {
            link.publishRetained(marker(clientId), state).get(bus.config.mq.publishTimeout.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("mqtt {}: {} could not set the marker of {} ({})", bus.settings.url, own, clientId,
                    e.toString());
        }
    }

    /** The member consumes as this client id from now on (its own, or a gone member's it took over at start). */
    void consumingAs(String clientId) {
        consumingAs = clientId;
    }

    /** An adoption ended (done or given up): the orphan may be claimed again if it is gone again. */
    void released(String orphan) {
        claimed.remove(orphan);
    }

    /**
     * An adoption lost its connection: if the owner came back it cleared the marker; if the marker still names this
     * member after mq.publishTimeout (the broker went away, or the connect never succeeded), it is marked gone again.
     */
    void lost(String orphan) {
        claimed.remove(orphan);
        try {
            bus.scheduler.schedule(() -> {
                if (!closed && (ADOPTING + own).equals(markers.get(orphan))) {
                    set(orphan, GONE);
                }
            }, bus.config.mq.publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    @Override
    public void close() {
        closed = true;
        link.close();
    }
}
