package dev.imcluster.broker.mq.nats;

import dev.imcluster.broker.logging.RateLimitedLog;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.mq.Backoff;
import dev.imcluster.broker.mq.BusMetrics;
import dev.imcluster.broker.mq.BusSupport;
import dev.imcluster.broker.mq.BusUnavailableException;
import dev.imcluster.broker.mq.KeyedDispatcher;
import dev.imcluster.broker.mq.MessageBus;
import dev.imcluster.broker.mq.Position;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import javax.net.ssl.SSLContext;
import io.nats.client.PublishOptions;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Over 300 lines: both NATS modes share one connection, the stream's setup and upkeep, publishing and decoding.
 *
 * <p>NATS. In the default {@code jetstream} mode: a file-backed stream ({@code mq.nats.stream}, subject
 * {@code mq.nats.subject}, limits retention with {@code maxAge}) created or updated at start; publish waits for
 * the JetStream ack and sets {@code Nats-Msg-Id} to the msg_id so JetStream drops a publisher's retries within its
 * duplicate window; each group is a durable pull consumer named after the group (explicit ack, {@code ackWait},
 * {@code maxDeliver}, maxAckPending = {@code mq.maxInFlight}) that every job replica pulls from. A failed handler
 * is retried in place (the message is kept with in-progress acks) so later messages of its key wait; messages
 * still in flight when a subscriber closes are nak'ed, so another replica gets them at once.
 *
 * <p>{@code core} mode (opt-in): plain NATS publish and a queue group; at-most-once, nothing is stored, a message
 * published while no job is subscribed or one in flight in a job that dies is lost.
 */
public final class NatsJetStreamBus implements MessageBus {
    private static final Logger LOG = LoggerFactory.getLogger(NatsJetStreamBus.class);

    // Package-private: the consumers (NatsPullConsumer, NatsQueueGroupConsumer) read them.
    final BrokerConfig config;
    final MqConfig.Nats settings;
    final BusMetrics metrics;
    final Backoff backoff;
    final Connection connection;
    final RateLimitedLog stateLog = new RateLimitedLog(LOG, 30, TimeUnit.SECONDS);
    /** How often the client pings nats-server (jnats's default: 2 minutes). */
    static final Duration PING_INTERVAL = Duration.ofSeconds(5);
    /** Unanswered pings after which the connection is stale: a silent cut shows within about 3 intervals. */
    static final int MAX_PINGS_OUT = 2;

    private final boolean core;
    private final JetStream js;
    private final ScheduledExecutorService scheduler;
    private final RateLimitedLog connectionLog = new RateLimitedLog(LOG, 30, TimeUnit.SECONDS);
    private final RateLimitedLog errorLog = new RateLimitedLog(LOG, 30, TimeUnit.SECONDS);
    private final CopyOnWriteArrayList<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final Object setupLock = new Object();
    private volatile boolean streamReady;
    /** Set with streamReady (see {@link #epochOf}). */
    private volatile String epoch = "";
    private volatile long nextSetupAttempt;
    private volatile boolean closed;

    public NatsJetStreamBus(BrokerConfig config, MeterRegistry meters) {
        this(config, meters, null);
    }

    /** With {@code tls} (the internal TLS context), a {@code tls://} URL presents its certificate and checks the server's. */
    public NatsJetStreamBus(BrokerConfig config, MeterRegistry meters, SSLContext tls) {
        this.config = config;
        this.settings = config.mq.nats;
        this.core = settings.mode == MqConfig.NatsMode.core;
        this.metrics = new BusMetrics(meters, name(), this::healthy);
        metrics.expectDrops(core ? new String[] {"undecodable", "core-nats-closed"} : new String[] {"undecodable"});
        this.backoff = new Backoff(config.mq.retryBackoff, config.mq.retryBackoffMax);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "nats-bus-maintenance");
            t.setDaemon(true);
            return t;
        });
        Options.Builder options = new Options.Builder()
                .server(settings.url)
                .connectionName("imcluster-" + BusSupport.consumerName(config))
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(500))
                // A silent cut (packets lost, no reset) ends the connection as stale after MAX_PINGS_OUT unanswered
                // pings, so it shows (imcluster_mq_up 0) and reconnects within seconds, not jnats's minutes.
                .pingInterval(PING_INTERVAL)
                .maxPingsOut(MAX_PINGS_OUT)
                .connectionTimeout(config.mq.publishTimeout)
                .connectionListener(this::onConnectionEvent)
                .errorListener(new ErrorListener() {
                    @Override
                    public void errorOccurred(Connection conn, String error) {
                        errorLog.warn("nats error: {}", error);
                    }

                    @Override
                    public void exceptionOccurred(Connection conn, Exception exp) {
                        errorLog.warn("nats connection problem: {}", exp.toString());
                    }
                });
        if (tls != null && settings.url.startsWith("tls://")) {
            options.sslContext(tls);
        }
        if (settings.credentialsFile != null && !settings.credentialsFile.isBlank()) {
            options.authHandler(Nats.credentials(settings.credentialsFile));
        }
        try {
            // Keeps reconnecting in the background when the server is not up yet.
            this.connection = Nats.connectReconnectOnConnect(options.build());
            this.js = connection.jetStream();
        } catch (IOException e) {
            throw new IllegalStateException("cannot set up NATS at " + settings.url + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting to NATS", e);
        }
        if (!core) {
            trySetupStream();
        }
        scheduler.scheduleWithFixedDelay(this::maintain, 1, 1, TimeUnit.SECONDS);
        LOG.info("nats bus in {} mode on {} (stream {}, subject {})", settings.mode, settings.url, settings.stream,
                settings.subject);
    }

    @Override
    public String name() {
        return "nats";
    }

    private void onConnectionEvent(Connection conn, ConnectionListener.Events event) {
        switch (event) {
            case DISCONNECTED -> connectionLog.warn("nats {} disconnected; reconnecting", settings.url);
            case RECONNECTED, CONNECTED -> LOG.info("nats {} {}", settings.url, event.getEvent());
            default -> { }
        }
    }

    boolean connected() {
        return connection.getStatus() == Connection.Status.CONNECTED;
    }

    /** Creates the stream or updates it to our settings; false (and retried later) while NATS is unreachable. */
    boolean trySetupStream() {
        if (streamReady) {
            return true;
        }
        synchronized (setupLock) {
            if (streamReady || System.nanoTime() - nextSetupAttempt < 0 || !connected()) {
                return streamReady;
            }
            StreamConfiguration sc = StreamConfiguration.builder()
                    .name(settings.stream)
                    .subjects(settings.subject)
                    .storageType(StorageType.File)
                    .retentionPolicy(RetentionPolicy.Limits)
                    .maxAge(settings.maxAge)
                    .replicas(settings.replicas)
                    .build();
            try {
                JetStreamManagement jsm = connection.jetStreamManagement();
                try {
                    epoch = epochOf(jsm.getStreamInfo(settings.stream));
                    try {
                        jsm.updateStream(sc);
                    } catch (JetStreamApiException e) {
                        // e.g. a replica change the server refuses: keep the stream as it is, it still works
                        LOG.warn("nats stream {} exists; could not update it to our settings: {}", settings.stream,
                                e.getMessage());
                    }
                } catch (JetStreamApiException notFound) {
                    epoch = epochOf(jsm.addStream(sc));
                    LOG.info("nats stream {} created (subject {})", settings.stream, settings.subject);
                }
                streamReady = true;
                return true;
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                nextSetupAttempt = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                stateLog.warn("nats stream {} not ready: {}", settings.stream, e.getMessage());
                return false;
            }
        }
    }

    /**
     * The stream's name and creation time: a stream deleted and created again starts its sequence over, and its
     * new creation time voids earlier positions.
     */
    private static String epochOf(io.nats.client.api.StreamInfo info) {
        return "nats:" + info.getConfiguration().getName() + ":" + info.getCreateTime().toInstant().toEpochMilli();
    }

    private void maintain() {
        try {
            if (!core && !trySetupStream()) {
                return;
            }
            for (Subscription s : subscriptions) {
                if (s instanceof NatsPullConsumer p) {
                    p.maintain();
                }
            }
        } catch (RuntimeException e) {
            stateLog.warn("nats maintenance failed: {}", e.toString());
        }
    }

    @Override
    public CompletableFuture<Position> publish(PushEnvelope envelope) {
        if (closed || !connected()) {
            metrics.publishFailed();
            return BusSupport.failed(name(), new BusUnavailableException("nats queue unavailable: not connected to "
                    + settings.url));
        }
        byte[] bytes = envelope.toByteArray();
        CompletableFuture<Position> result;
        try {
            if (core) {
                connection.publish(settings.subject, bytes); // at-most-once: no acknowledgement exists
                result = CompletableFuture.completedFuture(Position.NONE);
            } else {
                if (!trySetupStream()) {
                    throw new BusUnavailableException("nats queue unavailable: stream " + settings.stream
                            + " not set up yet");
                }
                PublishOptions po = PublishOptions.builder()
                        .messageId(envelope.getMsgId().isEmpty() ? null : envelope.getMsgId())
                        .expectedStream(settings.stream)
                        .build();
                result = js.publishAsync(settings.subject, bytes, po)
                        .orTimeout(config.mq.publishTimeout.toMillis(), TimeUnit.MILLISECONDS)
                        .thenApply(ack -> new Position(ack.getSeqno(), epoch));
            }
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        return BusSupport.settlePublish(result, metrics, name());
    }

    @Override
    public Subscription subscribe(String group, EnvelopeHandler handler) {
        Subscription s = core ? new NatsQueueGroupConsumer(this, group, handler)
                : new NatsPullConsumer(this, group, handler);
        subscriptions.add(s);
        if (s instanceof NatsPullConsumer p) {
            p.maintain(); // starts at once when NATS is up; otherwise the maintenance task keeps trying
        }
        return s;
    }

    @Override
    public boolean healthy() {
        return !closed && connected() && (core || streamReady);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        for (Subscription s : subscriptions) {
            s.close();
        }
        closed = true;
        scheduler.shutdownNow();
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void flushQuietly() {
        if (connected()) {
            try {
                connection.flush(Duration.ofSeconds(2));
            } catch (Exception e) {
                LOG.debug("nats flush on close", e);
            }
        }
    }

    PushEnvelope decode(Message msg, Runnable ackUndecodable) {
        return decode(msg.getData(), msg.isJetStream() ? msg.metaData().streamSequence() : -1, msg.getSubject(),
                ackUndecodable);
    }

    /**
     * A stored message's envelope stamped with its stream sequence ({@code sequence < 0}: core NATS, none).
     * {@code ackUndecodable} null: a replay, which cannot settle the message; JetStream redelivers it to the
     * durable, where its drop is counted once.
     */
    PushEnvelope decode(byte[] data, long sequence, String subject, Runnable ackUndecodable) {
        try {
            PushEnvelope envelope = PushEnvelope.parseFrom(data);
            return sequence >= 0 ? new Position(sequence, epoch).stamp(envelope) : envelope;
        } catch (InvalidProtocolBufferException e) {
            if (ackUndecodable == null) {
                return null;
            }
            metrics.dropped("undecodable");
            stateLog.warn("nats: dropping an undecodable message on {}: {}", subject, e.getMessage());
            ackUndecodable.run();
            return null;
        }
    }

    /** Blocks the delivering thread until there is room (bounded in-flight); false when the subscription closed. */
    static boolean reserve(KeyedDispatcher dispatcher, java.util.function.BooleanSupplier running) {
        try {
            while (running.getAsBoolean()) {
                if (dispatcher.reserve(Duration.ofMillis(500))) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** A consumer closed: maintenance and close() no longer see it. */
    void unregister(Subscription subscription) {
        subscriptions.remove(subscription);
    }
}
