package dev.imcluster.broker.comet;

import dev.imcluster.broker.security.PermissionGate;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * comet's meters, all named {@code imcluster.comet.*} (Prometheus: {@code imcluster_comet_*}). Hot-path meters
 * are resolved once here, never looked up per message.
 */
final class CometMetrics {
    private final MeterRegistry registry;

    final AtomicInteger tcpConnections = new AtomicInteger();
    final AtomicInteger wsConnections = new AtomicInteger();
    final AtomicInteger subscribers = new AtomicInteger();
    final AtomicInteger mqttConnections = new AtomicInteger();
    /** Frames and payloads queued inside comet for clients, not yet handed to the socket or gRPC. */
    final LongAdder queued = new LongAdder();

    final Counter inPush;
    final Counter inBroadcast;
    final Counter inRoom;
    final Counter inClient;
    final Counter inPublish;
    final Counter outTcp;
    final Counter outWebSocket;
    final Counter outGrpc;
    final Counter outMqtt;
    final Counter roomBatches;
    final Counter dedupeHits;
    final Counter dedupeEvicted;
    final Counter dropSlowConsumer;
    final Counter dropSubscriberOverflow;
    final Counter dropDuplicate;
    private final Counter recovered;
    private final Counter notRecovered;
    final Counter dropClosed;
    final Counter presenceReports;
    final Counter presenceJoins;
    final Counter presenceLeaves;
    final Timer deliveryLatency;
    /** Client permissions (the JWT's claim): refusals counted in imcluster_comet_permission_denied_total{action}. */
    final PermissionGate permissions;

    private final Map<String, Counter> protocolErrors = new ConcurrentHashMap<>();
    private final Map<String, Counter> disconnects = new ConcurrentHashMap<>();
    private final Map<String, Counter> authFailures = new ConcurrentHashMap<>();
    private final Map<String, Counter> logicErrors = new ConcurrentHashMap<>();
    private final Map<String, Counter> connectionsRefused = new ConcurrentHashMap<>();
    private final Map<String, Counter> publishesRefused = new ConcurrentHashMap<>();
    private final Map<String, Counter> mqttRefusals = new ConcurrentHashMap<>();

    CometMetrics(MeterRegistry registry, Buckets buckets) {
        this.registry = registry;
        this.permissions = new PermissionGate("comet", registry);
        Gauge.builder("imcluster.comet.connections", tcpConnections, AtomicInteger::get)
                .description("Open client connections: goim TCP and WebSocket, MQTT").tag("transport", "tcp").register(registry);
        Gauge.builder("imcluster.comet.connections", wsConnections, AtomicInteger::get)
                .description("Open client connections: goim TCP and WebSocket, MQTT").tag("transport", "websocket")
                .register(registry);
        Gauge.builder("imcluster.comet.connections", mqttConnections, AtomicInteger::get)
                .description("Open client connections: goim TCP and WebSocket, MQTT").tag("transport", "mqtt").register(registry);
        Gauge.builder("imcluster.comet.topic.subscribers", subscribers, AtomicInteger::get)
                .description("Open gRPC topic Subscribe streams").register(registry);
        Gauge.builder("imcluster.comet.rooms", buckets, Buckets::roomCount)
                .description("Rooms (and topics) with at least one member on this comet").register(registry);
        // Clamped: a fan-out adds its count after the frames are queued, so a fast drain can subtract first.
        Gauge.builder("imcluster.comet.send.queue.depth", queued, q -> Math.max(0, q.sum()))
                .description("Messages queued in comet for clients, across all connections").register(registry);

        inPush = in("push");
        inBroadcast = in("broadcast");
        inRoom = in("room");
        inClient = in("client");
        inPublish = in("publish");
        outTcp = out("tcp");
        outWebSocket = out("websocket");
        outGrpc = out("grpc");
        outMqtt = out("mqtt");
        roomBatches = Counter.builder("imcluster.comet.batches").description("Room batches (BroadcastRoom calls) fanned out")
                .register(registry);
        dedupeHits = Counter.builder("imcluster.comet.dedupe.hits")
                .description("Messages dropped because their msg_id was already seen").register(registry);
        dedupeEvicted = Counter.builder("imcluster.comet.dedupe.evicted")
                .description("Message ids forgotten before delivery.dedupe.window ended because delivery.dedupe.maxIds"
                        + " ids were held: a redelivery of one would reach clients again; raise delivery.dedupe.maxIds")
                .register(registry);
        dropSlowConsumer = drop("slow_consumer");
        dropSubscriberOverflow = drop("subscriber_overflow");
        dropDuplicate = drop("duplicate");
        recovered = recoveries(registry, "true");
        notRecovered = recoveries(registry, "false");
        dropClosed = drop("closed");
        presenceReports = Counter.builder("imcluster.comet.presence.reports")
                .description("Member lists of delivery.presence rooms reported to logic (one per room per report)")
                .register(registry);
        presenceJoins = presenceChanges(registry, "join");
        presenceLeaves = presenceChanges(registry, "leave");
        // At 0 from the start, so that the dashboard's panel has series before the first refusal.
        for (MqttTopics.Refusal refusal : MqttTopics.Refusal.values()) {
            mqttRefusalCounter(refusal.tag);
        }
        for (String reason : new String[] {"not_authorized", "logic_error", "qos"}) {
            mqttRefusalCounter(reason);
        }
        deliveryLatency = Timer.builder("imcluster.comet.delivery.latency")
                .description("From the publisher's published_at to comet handing the message to its clients")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
    }

    private Counter in(String kind) {
        return Counter.builder("imcluster.comet.messages.in").tag("kind", kind)
                .description("Messages that reached comet: push/broadcast/room from job, client frames, publishes")
                .register(registry);
    }

    private Counter out(String transport) {
        return Counter.builder("imcluster.comet.messages.out").tag("transport", transport)
                .description("Frames (goim) and payloads (gRPC) handed to clients").register(registry);
    }

    private Counter drop(String reason) {
        return Counter.builder("imcluster.comet.drops").tag("reason", reason)
                .description("Messages comet did not deliver, by reason").register(registry);
    }

    AtomicInteger connections(Transport transport) {
        return transport == Transport.TCP ? tcpConnections : wsConnections;
    }

    Counter out(Transport transport) {
        return transport == Transport.TCP ? outTcp : outWebSocket;
    }

    void protocolError(String reason) {
        tagged(protocolErrors, "imcluster.comet.protocol.errors", "reason", reason,
                "Client connections closed for breaking the protocol").increment();
    }

    void disconnect(String reason) {
        tagged(disconnects, "imcluster.comet.disconnects", "reason", reason,
                "Client connections ended, by reason").increment();
    }

    /** A connection or gRPC Subscribe refused by a per-source-address limit (closed before anything is read). */
    void connectionRefused(String reason) {
        tagged(connectionsRefused, "imcluster.comet.connections.refused", "reason", reason,
                "Client connections and gRPC subscriptions refused by a per-address limit").increment();
    }

    /** A client message (goim upstream frame or gRPC Publish) refused by a publish rate limit. */
    void publishRefused(String reason) {
        tagged(publishesRefused, "imcluster.comet.publishes.refused", "reason", reason,
                "Client messages refused by a publish rate limit (per connection or per address)").increment();
    }

    /**
     * An MQTT client's SUBSCRIBE filter or PUBLISH refused (the connection stays): wildcard, topic_invalid,
     * not_authorized, rate limits, qos (QoS 2), logic_error. Permission denials are also in permission_denied.
     */
    void mqttRefused(String reason) {
        mqttRefusalCounter(reason).increment();
    }

    private Counter mqttRefusalCounter(String reason) {
        return tagged(mqttRefusals, "imcluster.comet.mqtt.refused", "reason", reason,
                "MQTT topic filters and publishes refused, by reason");
    }

    void authFailure(String reason) {
        tagged(authFailures, "imcluster.comet.auth.failures", "reason", reason,
                "Auth frames that logic rejected or could not check").increment();
    }

    void logicError(String call) {
        tagged(logicErrors, "imcluster.comet.logic.errors", "call", call, "Failed gRPC calls to logic").increment();
    }

    /** Publish-to-comet latency, when the message carries its publish time. */
    void latency(long publishedAtMicros) {
        if (publishedAtMicros > 0) {
            long micros = System.currentTimeMillis() * 1000L - publishedAtMicros;
            if (micros >= 0) {
                deliveryLatency.record(micros, TimeUnit.MICROSECONDS);
            }
        }
    }

    private Counter tagged(Map<String, Counter> cache, String name, String tag, String value, String description) {
        Counter c = cache.get(value);
        if (c == null) {
            c = cache.computeIfAbsent(value,
                    v -> Counter.builder(name).tag(tag, v).description(description).register(registry));
        }
        return c;
    }

    private static Counter recoveries(MeterRegistry meters, String recovered) {
        return Counter.builder("imcluster.comet.recoveries").tag("recovered", recovered)
                .description("Recoveries from a position (gRPC Subscribe with recover, goim RESUME): recovered "
                        + "(every missed message replayed) or not (epoch changed, position too old, no history)").register(meters);
    }

    private static Counter presenceChanges(MeterRegistry registry, String type) {
        return Counter.builder("imcluster.comet.presence.changes").tag("type", type)
                .description("Joins and leaves in delivery.presence rooms sent to logic (which publishes them as events)")
                .register(registry);
    }

    void recovery(boolean ok) {
        (ok ? recovered : notRecovered).increment();
    }
}
