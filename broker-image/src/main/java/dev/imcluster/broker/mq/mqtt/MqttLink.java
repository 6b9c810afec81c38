package dev.imcluster.broker.mq.mqtt;

import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.logging.RateLimitedLog;
import dev.imcluster.broker.mq.Backoff;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection to the MQTT broker, over Paho's MQTT 5 ({@link Mqtt5Link}) or 3.1.1 ({@link Mqtt3Link})
 * client as {@code mq.mqtt.protocolVersion} says. It connects in the background and reconnects with backoff after
 * any loss (Paho's own reconnect only starts after a first success); received QoS 1 messages are acknowledged by the
 * caller ({@link #ack}), so a message is PUBACKed only once handled.
 */
abstract class MqttLink implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MqttLink.class);
    /** How long the first connect waits for CONNACK; see {@link #connackDeadline}. */
    private static final Duration FIRST_CONNACK_DEADLINE = Duration.ofSeconds(2);

    /** What the owner of a link hears from it. */
    interface Listener {
        /** Connected (again); {@code sessionPresent}: the broker kept this client's session. */
        void connected(boolean sessionPresent);

        /** A QoS 1 message of a subscription; acknowledge it with {@link #ack} once handled. */
        void message(String topic, int id, byte[] payload, boolean duplicate);

        /** The connection was lost and, as its {@link Session} asked, is not made again. */
        default void lost(Throwable cause) {
        }
    }

    /**
     * How a link connects: a persistent session (job's members) or a clean one (publishers); the will the broker
     * publishes (retained, QoS 1) if the connection ends without DISCONNECT, or null; and whether a lost connection
     * is made again (an adopted session's is not: its owner may be back).
     */
    record Session(String clientId, boolean persistent, int receiveMaximum, Will will, boolean reconnect) {
        Session(String clientId, boolean persistent, int receiveMaximum) {
            this(clientId, persistent, receiveMaximum, null, true);
        }
    }

    record Will(String topic, byte[] payload) {
    }

    protected final MqConfig.Mqtt settings;
    protected final Session session;
    protected final SSLContext tls;
    protected final Listener listener;
    protected final Duration connectTimeout;
    private final Backoff backoff;
    private final ScheduledExecutorService scheduler;
    private final RateLimitedLog stateLog = new RateLimitedLog(LOG, 30, TimeUnit.SECONDS);
    private int failures;
    private int connackTimeouts;
    private volatile boolean closed;

    MqttLink(MqConfig.Mqtt settings, Session session, SSLContext tls, Listener listener, Duration connectTimeout,
             Backoff backoff, ScheduledExecutorService scheduler) {
        this.settings = settings;
        this.session = session;
        this.tls = tls != null && settings.url.startsWith("ssl://") ? tls : null;
        this.listener = listener;
        this.connectTimeout = connectTimeout;
        this.backoff = backoff;
        this.scheduler = scheduler;
    }

    static MqttLink create(MqConfig.Mqtt settings, Session session, SSLContext tls, Listener listener,
                           Duration connectTimeout, Backoff backoff, ScheduledExecutorService scheduler) {
        return settings.protocolVersion == 3
                ? new Mqtt3Link(settings, session, tls, listener, connectTimeout, backoff, scheduler)
                : new Mqtt5Link(settings, session, tls, listener, connectTimeout, backoff, scheduler);
    }

    /** Starts connecting; returns at once (the broker may not be up yet). */
    void start() {
        scheduler.execute(this::attempt);
    }

    private void attempt() {
        if (closed || connected()) {
            return;
        }
        Duration deadline = connackDeadline();
        connectOnce().orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS).whenComplete((sessionPresent, error) -> {
            if (error == null) {
                if (failures > 0) {
                    LOG.info("mqtt {}: {} connected again", settings.url, session.clientId());
                }
                failures = 0;
                connackTimeouts = 0;
                listener.connected(sessionPresent);
            } else if (error instanceof TimeoutException) {
                connackTimeouts++;
                abandonConnect();
                retry(new TimeoutException("no CONNACK within " + deadline.toMillis() + " ms"));
            } else {
                retry(error);
            }
        });
    }

    /**
     * How long a connect may take, CONNACK included. Paho's connection timeout covers the TCP connect only, and it
     * waits for CONNACK forever: a broker that accepts and never answers (Mosquitto restarted on its data left a
     * persistent session's first reconnect unanswered in the fault tests; a half-open path) would hold the link until
     * the broker drops it after 1.5 keep-alives. A CONNACK comes within milliseconds, so the first attempt waits 2 s;
     * each attempt that gets none doubles it, up to twice the connect timeout, so a slow broker is still reached.
     */
    Duration connackDeadline() {
        Duration longest = Duration.ofSeconds(2L * connectTimeoutSeconds());
        Duration deadline = FIRST_CONNACK_DEADLINE.multipliedBy(1L << Math.min(connackTimeouts, 6));
        return deadline.compareTo(longest) < 0 ? deadline : longest;
    }

    /** Ends a connect attempt that got no CONNACK, so that the client can connect again. */
    protected abstract void abandonConnect();

    /** The connection was lost (or a connect failed): try again after a backoff. */
    protected void retry(Throwable cause) {
        if (closed) {
            return;
        }
        if (!session.reconnect()) {
            closed = true;
            listener.lost(cause);
            return;
        }
        failures++;
        Duration delay = backoff.delay(failures);
        stateLog.warn("mqtt {}: {} not connected ({}); retrying in {} ms", settings.url, session.clientId(),
                String.valueOf(cause), delay.toMillis());
        try {
            scheduler.schedule(this::attempt, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down
        }
    }

    protected boolean closed() {
        return closed;
    }

    /** The password of {@code mq.mqtt.passwordFile}, or null. */
    protected char[] password() {
        if (settings.passwordFile == null || settings.passwordFile.isBlank()) {
            return null;
        }
        try {
            return Files.readString(Path.of(settings.passwordFile)).strip().toCharArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read mq.mqtt.passwordFile " + settings.passwordFile + ": "
                    + e.getMessage(), e);
        }
    }

    protected int connectTimeoutSeconds() {
        return (int) Math.max(1, connectTimeout.toSeconds());
    }

    /** One connect; completes with the CONNACK's session-present flag. */
    protected abstract CompletableFuture<Boolean> connectOnce();

    abstract boolean connected();

    /** Publishes that may wait for PUBACK at once (the broker's receive maximum). */
    abstract int sendWindow();

    /** A QoS 1 publish; completes on PUBACK, fails on a refusal or a lost connection. */
    abstract CompletableFuture<Void> publish(String topic, byte[] payload);

    /** A retained QoS 1 publish (empty: deletes the retained message); completes on PUBACK, subscribers or not. */
    abstract CompletableFuture<Void> publishRetained(String topic, byte[] payload);

    /** A QoS 1 subscription; completes on a SUBACK that granted it. */
    abstract CompletableFuture<Void> subscribe(String filter);

    abstract CompletableFuture<Void> unsubscribe(String filter);

    /** PUBACKs a received message. */
    abstract void ack(int id);

    /** Disconnects; with {@code endSession} the broker also drops this client's session and what it queued. */
    void close(boolean endSession) {
        closed = true;
        disconnect(endSession);
    }

    protected abstract void disconnect(boolean endSession);

    /** Ends the connection without DISCONNECT, as a crash does: the broker publishes the will and keeps the session. */
    void drop() {
        closed = true;
        dropConnection();
    }

    protected abstract void dropConnection();

    @Override
    public void close() {
        close(false);
    }

    /** A failed future from a Paho call that threw. */
    protected static <T> CompletableFuture<T> failed(Throwable t) {
        return CompletableFuture.failedFuture(t);
    }
}
