package dev.imcluster.broker.comet;

import dev.imcluster.broker.logging.RateLimitedLog;
import dev.imcluster.broker.config.CometConfig;
import dev.imcluster.broker.config.DeliveryConfig;
import dev.imcluster.broker.session.Presence;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every connection and service of one comet shares. */
final class CometContext {
    private static final Logger LOG = LoggerFactory.getLogger("dev.imcluster.broker.comet");

    final CometConfig config;
    final DeliveryConfig delivery;
    final String serverId;
    final Buckets buckets;
    final LogicClient logic;
    final CometMetrics metrics;
    final DedupeWindow dedupe;
    /** delivery.presence: member reports and join/leave events. */
    final RoomPresence presence;
    final ByteBufAllocator alloc;
    /** Per source address (connects, open connections, publishes) and per connection (publishes) limits. */
    final SourceAddressLimits limits;
    /** Every open goim client connection, authenticated or not: closed together on shutdown. */
    final ChannelGroup clients = new DefaultChannelGroup("comet-clients", GlobalEventExecutor.INSTANCE);
    /** Every open MQTT client connection (they are not in the buckets' connections): shutdown closes them. */
    final java.util.Set<MqttConnection> mqttConnections = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Disconnect calls to logic still running: shutdown waits for them. */
    final AtomicInteger pendingDisconnects = new AtomicInteger();
    final int maxBodySize;
    final int sendQueueSize;
    final long handshakeTimeoutNanos;
    final long heartbeatTimeoutNanos;
    final long renewMinNanos;
    final long renewMaxNanos;

    final RateLimitedLog protocolLog = new RateLimitedLog(LOG, 20, 10, TimeUnit.SECONDS);
    final RateLimitedLog authLog = new RateLimitedLog(LOG, 20, 10, TimeUnit.SECONDS);
    final RateLimitedLog slowLog = new RateLimitedLog(LOG, 20, 10, TimeUnit.SECONDS);
    final RateLimitedLog limitLog = new RateLimitedLog(LOG, 20, 10, TimeUnit.SECONDS);
    final RateLimitedLog logicLog = new RateLimitedLog(LOG, 20, 10, TimeUnit.SECONDS);
    final RateLimitedLog recoveryLog = new RateLimitedLog(LOG, 20, 10, TimeUnit.SECONDS);
    final RateLimitedLog dedupeLog = new RateLimitedLog(LOG, 1, TimeUnit.MINUTES);

    private final java.util.Map<io.netty.channel.EventLoop, LoopFlusher> flushers =
            new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean shuttingDown;

    CometContext(CometConfig config, DeliveryConfig delivery, String serverId, Buckets buckets, LogicClient logic,
                 CometMetrics metrics, ByteBufAllocator alloc, SourceAddressLimits limits) {
        this.limits = limits;
        this.config = config;
        this.delivery = delivery;
        this.serverId = serverId;
        this.buckets = buckets;
        this.logic = logic;
        this.metrics = metrics;
        this.alloc = alloc;
        this.dedupe = new DedupeWindow(delivery.dedupe.maxIds, delivery.dedupe.window.toNanos(), evicted -> {
            metrics.dedupeEvicted.increment(evicted);
            dedupeLog.warn("dedupe: {} message ids arrived within delivery.dedupe.window ({}), so the oldest are"
                    + " forgotten before their window ended and a redelivery of them would reach clients twice;"
                    + " raise delivery.dedupe.maxIds (imcluster_comet_dedupe_evicted_total counts them)",
                    delivery.dedupe.maxIds, delivery.dedupe.window);
        });
        this.presence = new RoomPresence(this, new Presence(delivery.presence));
        buckets.listen(presence);
        this.maxBodySize = config.protocol.maxBodySize;
        this.sendQueueSize = config.protocol.sendQueueSize;
        this.handshakeTimeoutNanos = config.protocol.handshakeTimeout.toNanos();
        this.heartbeatTimeoutNanos = config.protocol.heartbeatTimeout.toNanos();
        this.renewMinNanos = config.protocol.sessionRenewMin.toNanos();
        this.renewMaxNanos = config.protocol.sessionRenewMax.toNanos();
    }

    LoopFlusher flusher(io.netty.channel.EventLoop loop) {
        return flushers.computeIfAbsent(loop, l -> new LoopFlusher(l, metrics));
    }

    boolean shuttingDown() {
        return shuttingDown;
    }

    void startShutdown() {
        shuttingDown = true;
    }

    /** True when one more client (connection or subscriber) would exceed comet.maxConnections. */
    boolean atConnectionLimit() {
        int max = config.maxConnections;
        return max > 0 && metrics.tcpConnections.get() + metrics.wsConnections.get() + metrics.mqttConnections.get()
                + metrics.subscribers.get() >= max;
    }
}
