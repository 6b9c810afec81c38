package dev.imcluster.broker.comet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.ConnectReply;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.PublishResponse;
import dev.imcluster.broker.security.Bearer;
import dev.imcluster.broker.security.Permissions;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.netty.channel.Channel;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodes;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import io.netty.handler.codec.mqtt.MqttTopicSubscription;
import io.netty.handler.codec.mqtt.MqttUnacceptableProtocolVersionException;
import io.netty.handler.codec.mqtt.MqttUnsubscribeMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Over 300 lines: MQTT's session state machine (CONNECT first, keep-alive, subscriptions, publishes in flight) shares
 * its state on one event loop, as goim's {@link Connection} does; the packets it sends are built by
 * {@link MqttPackets}, the topic mapping is {@link MqttTopics}, the calls to logic are its {@link LogicSession}.
 *
 * <p>One MQTT 3.1.1 or 5 client (docs/MQTT.md): CONNECT first, its password being the token (or a goim
 * Auth JSON), authenticated through logic's Connect as goim's Auth is ({@link LogicSession}); then SUBSCRIBE and
 * UNSUBSCRIBE join and leave rooms ({@link MqttTopics}), PUBLISH goes to logic as a gRPC Publish does, with the same
 * permissions and rate limits, PINGREQ renews the session. Messages of its rooms reach it as QoS 0 PUBLISH packets.
 *
 * <p>Threading: everything except {@link #deliver} and {@link #close} runs on the channel's event loop.
 */
final class MqttConnection extends ChannelInboundHandlerAdapter implements RoomMember {
    private static final int NEW = 0;
    private static final int AUTHENTICATING = 1;
    private static final int AUTHED = 2;
    private static final int CLOSED = 3;
    /** Packets a client may send behind its CONNECT before logic answers. */
    private static final int MAX_PENDING_DURING_AUTH = 16;
    /** Publishes to logic in flight before comet stops reading from this client. */
    private static final int MAX_PUBLISHES_IN_FLIGHT = 16;

    private final CometContext comet;
    private final LogicSession logic;
    private final Runnable timeoutCheck = this::checkTimeout;
    /** Room id to the topic filter that joined it: the topic name of what the room delivers. Any thread reads. */
    private final ConcurrentHashMap<String, String> subscriptions = new ConcurrentHashMap<>();
    /** PUBLISH packets handed to the event loop and not yet written: bounded by sendQueueSize. */
    private final AtomicInteger unwritten = new AtomicInteger();
    private Channel channel;
    private volatile int state = NEW;
    private volatile String closeReason;
    private boolean counted;
    /** Set at CONNECT, before state becomes AUTHENTICATING; other threads read it only after reading state. */
    private MqttVersion version = MqttVersion.MQTT_3_1_1;
    private Bucket bucket;
    private Permissions permissions = Permissions.ALL;
    /** The client's token as a bearer header for logic's Publish (used only without an internal token). */
    private String authorization;
    private long lastPacketNanos;
    private long timeoutNanos;
    private ScheduledFuture<?> timer;
    private ArrayDeque<MqttMessage> pendingDuringAuth;
    private int publishesInFlight;

    MqttConnection(CometContext comet) {
        this.comet = comet;
        this.logic = new LogicSession(comet);
    }

    // ---- lifecycle ----

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        if (comet.shuttingDown() || comet.atConnectionLimit()) {
            if (!comet.shuttingDown()) {
                comet.limitLog.warn("refused an mqtt connection from {}: comet.maxConnections ({}) reached",
                        channel.remoteAddress(), comet.config.maxConnections);
            }
            closeReason = comet.shuttingDown() ? "draining" : "max_connections";
            comet.metrics.disconnect(closeReason);
            channel.close(); // before CONNECT there is no version to answer in
            return;
        }
        counted = true;
        comet.metrics.mqttConnections.incrementAndGet();
        comet.clients.add(channel);
        comet.mqttConnections.add(this);
        lastPacketNanos = System.nanoTime();
        timeoutNanos = comet.handshakeTimeoutNanos;
        timer = channel.eventLoop().schedule(timeoutCheck, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        int was = state;
        state = CLOSED;
        if (timer != null) {
            timer.cancel(false);
        }
        if (!counted) {
            return;
        }
        comet.mqttConnections.remove(this);
        comet.metrics.mqttConnections.decrementAndGet();
        comet.metrics.disconnect(closeReason == null ? "client_closed" : closeReason);
        if (pendingDuringAuth != null) {
            pendingDuringAuth.forEach(ReferenceCountUtil::release);
            pendingDuringAuth = null;
        }
        if (was == AUTHED) {
            subscriptions.keySet().forEach(room -> bucket.leave(room, this));
            subscriptions.clear();
            logic.disconnect();
        }
    }

    /**
     * Closes this connection; the first reason given is the one counted. An MQTT 5 client is told why first when
     * {@code reasonCode} is set. Any thread.
     */
    void close(String reason, MqttReasonCodes.Disconnect reasonCode) {
        if (closeReason == null) {
            closeReason = reason;
        }
        if (channel == null) {
            return;
        }
        // state first: its volatile write on the event loop follows the version's
        if (reasonCode != null && state == AUTHED && version == MqttVersion.MQTT_5) {
            // Written now if the socket takes it; never waited for, so a client that does not read is closed too.
            channel.writeAndFlush(MqttMessageBuilders.disconnect().reasonCode(reasonCode.byteValue()).build());
        }
        channel.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String tls = TlsFailure.describe(cause);
        if (tls != null) {
            protocolError("tls", tls, null); // no MQTT can reach a client that failed TLS
        } else if (cause instanceof DecoderException) {
            refuse(cause);
        } else if (cause instanceof IOException) {
            close("io_error", null);
        } else {
            comet.protocolLog.warn("closing mqtt connection from {} after an unexpected error: {}",
                    channel.remoteAddress(), cause.toString());
            close("error", null);
        }
    }

    /** A packet the decoder refused: too large, an unsupported protocol version, or malformed. */
    private void refuse(Throwable cause) {
        Throwable reason = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (reason instanceof TooLongFrameException || cause instanceof TooLongFrameException) {
            protocolError("mqtt_packet_too_large", cause.getMessage(), MqttReasonCodes.Disconnect.PACKET_TOO_LARGE);
        } else if (reason instanceof MqttUnacceptableProtocolVersionException && state == NEW) {
            // CONNACK 0x01, in 3.1.1's encoding: the one every version understands.
            channel.writeAndFlush(MqttPackets.connAck(
                    MqttConnectReturnCode.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION));
            protocolError("mqtt_protocol_version", reason.getMessage(), null);
        } else {
            protocolError("mqtt_malformed", String.valueOf(reason.getMessage()),
                    MqttReasonCodes.Disconnect.MALFORMED_PACKET);
        }
    }

    private void protocolError(String reason, String message, MqttReasonCodes.Disconnect reasonCode) {
        if (state == CLOSED || closeReason != null) {
            return;
        }
        comet.metrics.protocolError(reason);
        comet.protocolLog.warn("closing mqtt connection from {} (key {}): protocol error {}: {}",
                channel.remoteAddress(), logic.key(), reason, message);
        close("protocol_error", reasonCode);
    }

    private void checkTimeout() {
        if (state == CLOSED) {
            return;
        }
        long idle = System.nanoTime() - lastPacketNanos;
        if (idle < timeoutNanos) {
            timer = channel.eventLoop().schedule(timeoutCheck, timeoutNanos - idle, TimeUnit.NANOSECONDS);
            return;
        }
        protocolError(state == AUTHED ? "heartbeat_timeout" : "handshake_timeout",
                "no packet for " + TimeUnit.NANOSECONDS.toMillis(idle) + " ms",
                MqttReasonCodes.Disconnect.KEEP_ALIVE_TIMEOUT);
    }

    // ---- inbound ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof MqttMessage packet) || closeReason != null) {
            ReferenceCountUtil.release(msg); // closing: nothing more from this client counts
            return;
        }
        if (packet.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            refuse(packet.decoderResult().cause());
            return;
        }
        lastPacketNanos = System.nanoTime();
        switch (state) {
            case NEW -> {
                if (!(packet instanceof MqttConnectMessage connect)) {
                    ReferenceCountUtil.release(msg);
                    protocolError("not_connect", "first packet is " + packet.fixedHeader().messageType()
                            + ", expected CONNECT", null);
                    return;
                }
                startConnect(connect);
            }
            case AUTHENTICATING -> {
                if (pendingDuringAuth == null) {
                    pendingDuringAuth = new ArrayDeque<>(4);
                }
                if (pendingDuringAuth.size() >= MAX_PENDING_DURING_AUTH) {
                    ReferenceCountUtil.release(msg);
                    protocolError("auth_pending", "more than " + MAX_PENDING_DURING_AUTH
                            + " packets sent before CONNACK", null);
                    return;
                }
                pendingDuringAuth.add(packet);
            }
            case AUTHED -> operate(packet);
            default -> ReferenceCountUtil.release(msg);
        }
    }

    private void startConnect(MqttConnectMessage connect) {
        version = MqttVersion.fromProtocolNameAndLevel(connect.variableHeader().name(),
                (byte) connect.variableHeader().version());
        state = AUTHENTICATING;
        int keepAlive = connect.variableHeader().keepAliveTimeSeconds();
        String clientId = connect.payload().clientIdentifier();
        byte[] password = connect.variableHeader().hasPassword() ? connect.payload().passwordInBytes() : new byte[0];
        ObjectNode auth = MqttPackets.authBody(password, clientId == null ? "" : clientId);
        JsonNode token = auth.get("token");
        authorization = token == null || token.asText().isEmpty() ? null : Bearer.PREFIX + token.asText();
        byte[] body = auth.toString().getBytes(StandardCharsets.UTF_8);
        logic.connect("", ByteString.copyFrom(body), channel.remoteAddress())
                .whenCompleteAsync((reply, err) -> onConnect(reply, err, keepAlive, clientId), channel.eventLoop());
    }

    private void onConnect(ConnectReply reply, Throwable err, int keepAlive, String clientId) {
        if (err != null) {
            comet.metrics.authFailure(LogicSession.failureReason(err));
            if (state != CLOSED) {
                // Never log the token: only logic's status says why.
                comet.authLog.warn("auth of mqtt connection from {} refused: logic Connect returned {}",
                        channel.remoteAddress(), LogicSession.describe(err));
                channel.writeAndFlush(MqttPackets.connRefused(version, Status.fromThrowable(err).getCode()));
                close("auth_failed", null);
            }
            return;
        }
        logic.connected(reply);
        if (state == CLOSED) {
            logic.disconnect(); // the client left while logic was recording it
            return;
        }
        if (reply.hasPermissions()) {
            permissions = Permissions.of(reply.getPermissions().getSubscribeList(),
                    reply.getPermissions().getPublishList());
        }
        bucket = comet.buckets.forKey(logic.key());
        state = AUTHED;
        long now = System.nanoTime();
        // MQTT: the server closes a client silent for one and a half keep-alive periods; 0 means no keep-alive.
        timeoutNanos = keepAlive > 0 ? TimeUnit.MILLISECONDS.toNanos(keepAlive * 1500L) : comet.heartbeatTimeoutNanos;
        lastPacketNanos = now;
        logic.renewFrom(now);
        channel.writeAndFlush(MqttPackets.connAccepted(version, comet.config.mqtt.maxPacketSize,
                clientId == null || clientId.isEmpty() ? logic.key() : null));
        ArrayDeque<MqttMessage> pending = pendingDuringAuth;
        pendingDuringAuth = null;
        if (pending != null) {
            for (MqttMessage p; (p = pending.poll()) != null; ) {
                if (state == AUTHED) {
                    operate(p);
                } else {
                    ReferenceCountUtil.release(p);
                }
            }
        }
    }

    private void operate(MqttMessage packet) {
        MqttMessageType type = packet.fixedHeader().messageType();
        switch (type) {
            case PUBLISH -> publish((MqttPublishMessage) packet);
            case SUBSCRIBE -> subscribe((MqttSubscribeMessage) packet);
            case UNSUBSCRIBE -> unsubscribe((MqttUnsubscribeMessage) packet);
            case PINGREQ -> {
                channel.writeAndFlush(MqttMessage.PINGRESP);
                logic.renewIfDue();
            }
            case DISCONNECT -> close("client_closed", null);
            case PUBACK -> { } // deliveries are QoS 0: nothing to acknowledge
            default -> {
                ReferenceCountUtil.release(packet);
                protocolError("mqtt_unexpected_packet", type + " is not served (QoS 2, AUTH and a second CONNECT"
                        + " are not)", MqttReasonCodes.Disconnect.PROTOCOL_ERROR);
            }
        }
    }

    private void subscribe(MqttSubscribeMessage subscribe) {
        List<MqttTopicSubscription> filters = subscribe.payload().topicSubscriptions();
        int[] codes = new int[filters.size()];
        for (int i = 0; i < codes.length; i++) {
            String filter = filters.get(i).topicFilter();
            MqttTopics.Mapping m = MqttTopics.room(filter);
            if (m.refusal() != null) {
                comet.metrics.mqttRefused(m.refusal().tag);
                comet.protocolLog.warn("refused mqtt filter {} of {}: {}", filter, who(), m.refusal().tag);
                codes[i] = MqttPackets.subscribeRefused(version, m.refusal());
                continue;
            }
            if (!comet.metrics.permissions.allows(permissions, Permissions.Action.SUBSCRIBE, m.room(), who())) {
                comet.metrics.mqttRefused("not_authorized");
                codes[i] = MqttPackets.subscribeRefused(version, null);
                continue;
            }
            if (subscriptions.put(m.room(), filter) == null) {
                bucket.join(m.room(), this);
            }
            codes[i] = MqttQoS.AT_MOST_ONCE.value(); // deliveries are QoS 0 (docs/MQTT.md)
        }
        channel.writeAndFlush(MqttPackets.subAck(subscribe.variableHeader().messageId(), codes));
    }

    private void unsubscribe(MqttUnsubscribeMessage unsubscribe) {
        MqttMessageBuilders.UnsubAckBuilder ack = MqttMessageBuilders.unsubAck()
                .packetId(unsubscribe.variableHeader().messageId());
        for (String filter : unsubscribe.payload().topics()) {
            MqttTopics.Mapping m = MqttTopics.room(filter);
            short code;
            if (m.room() == null) {
                code = MqttReasonCodes.UnsubAck.TOPIC_FILTER_INVALID.byteValue();
            } else if (subscriptions.remove(m.room()) != null) {
                bucket.leave(m.room(), this);
                code = MqttReasonCodes.UnsubAck.SUCCESS.byteValue();
            } else {
                code = MqttReasonCodes.UnsubAck.NO_SUBSCRIPTION_EXISTED.byteValue();
            }
            if (version == MqttVersion.MQTT_5) {
                ack.addReasonCode((short) (code & 0xFF));
            }
        }
        channel.writeAndFlush(ack.build());
    }

    /**
     * A client's PUBLISH, forwarded to logic as a gRPC Publish is (QoS 0 and 1). QoS 1 is acknowledged once logic
     * accepted it; a refusal is PUBACK's reason code for MQTT 5, and closes a 3.1.1 connection (3.1.1's PUBACK
     * cannot refuse, and the client then publishes again after reconnecting). A refused QoS 0 publish is dropped.
     * Every refusal is counted (imcluster_comet_mqtt_refused_total).
     */
    private void publish(MqttPublishMessage publish) {
        int packetId = publish.variableHeader().packetId();
        MqttQoS qos = publish.fixedHeader().qosLevel();
        String topic = publish.variableHeader().topicName();
        ByteString payload;
        try {
            payload = ByteString.copyFrom(publish.payload().nioBuffer());
        } finally {
            publish.release();
        }
        comet.metrics.inPublish.increment();
        if (qos == MqttQoS.EXACTLY_ONCE) {
            comet.metrics.mqttRefused("qos");
            protocolError("mqtt_qos", "QoS 2 PUBLISH (the server's maximum is QoS 1)",
                    MqttReasonCodes.Disconnect.QOS_NOT_SUPPORTED);
            return;
        }
        MqttTopics.Mapping m = MqttTopics.room(topic);
        if (m.room() == null) {
            refusePublish(qos, packetId, m.refusal().tag, MqttReasonCodes.PubAck.TOPIC_NAME_INVALID, topic);
            return;
        }
        if (!comet.metrics.permissions.allows(permissions, Permissions.Action.PUBLISH, m.room(), who())) {
            refusePublish(qos, packetId, "not_authorized", MqttReasonCodes.PubAck.NOT_AUTHORIZED, topic);
            return;
        }
        // Keyed by the peer's address and port: unique to this connection while it is open.
        String limited = comet.limits.tryPublish(String.valueOf(channel.remoteAddress()), channel.remoteAddress());
        if (limited != null) {
            refusePublish(qos, packetId, limited, MqttReasonCodes.PubAck.QUOTA_EXCEEDED, topic);
            return;
        }
        publishesInFlight++;
        updateAutoRead();
        comet.logic.publish(PublishRequest.newBuilder().setTopic(m.room()).setPayload(payload).build(), authorization,
                new StreamObserver<>() {
                    @Override
                    public void onNext(PublishResponse value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        channel.eventLoop().execute(() -> published(qos, packetId, topic, t));
                    }

                    @Override
                    public void onCompleted() {
                        channel.eventLoop().execute(() -> published(qos, packetId, topic, null));
                    }
                });
    }

    private void published(MqttQoS qos, int packetId, String topic, Throwable err) {
        publishesInFlight--;
        if (state != AUTHED) {
            return;
        }
        updateAutoRead();
        if (err != null) {
            Status.Code code = Status.fromThrowable(err).getCode();
            if (code != Status.Code.PERMISSION_DENIED && code != Status.Code.RESOURCE_EXHAUSTED) {
                comet.metrics.logicError("publish");
            }
            comet.logicLog.warn("logic Publish of mqtt key {} on {} failed: {}", logic.key(), topic,
                    LogicSession.describe(err));
            refusePublish(qos, packetId, code == Status.Code.PERMISSION_DENIED ? "not_authorized" : "logic_error",
                    code == Status.Code.PERMISSION_DENIED ? MqttReasonCodes.PubAck.NOT_AUTHORIZED
                            : MqttReasonCodes.PubAck.UNSPECIFIED_ERROR, topic);
        } else if (qos == MqttQoS.AT_LEAST_ONCE) {
            channel.writeAndFlush(MqttMessageBuilders.pubAck().packetId(packetId).build());
        }
    }

    private void refusePublish(MqttQoS qos, int packetId, String reason, MqttReasonCodes.PubAck code, String topic) {
        comet.metrics.mqttRefused(reason);
        if (!"not_authorized".equals(reason) && !"logic_error".equals(reason)) {
            // The permission gate and the logic call log their own.
            comet.limitLog.warn("refused an mqtt PUBLISH on {} from {}: {}", topic, who(), reason);
        }
        if (qos != MqttQoS.AT_LEAST_ONCE) {
            return; // QoS 0: dropped, counted
        }
        if (version == MqttVersion.MQTT_5) {
            channel.writeAndFlush(MqttMessageBuilders.pubAck().packetId(packetId).reasonCode(code.byteValue())
                    .build());
        } else {
            close("publish_refused", null);
        }
    }

    private String who() {
        return "mqtt client " + channel.remoteAddress() + " (key " + logic.key() + ")";
    }

    /** Reads only while the client reads what it is sent and logic keeps up with its publishes. */
    private void updateAutoRead() {
        boolean read = channel.isWritable() && publishesInFlight < MAX_PUBLISHES_IN_FLIGHT;
        if (channel.config().isAutoRead() != read) {
            channel.config().setAutoRead(read);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateAutoRead();
        ctx.fireChannelWritabilityChanged();
    }

    // ---- outbound (any thread) ----

    /**
     * A room batch as one QoS 0 PUBLISH per message (presence events left out), named by the filter that joined the
     * room. A client with sendQueueSize or more messages still unwritten when a batch arrives is disconnected as a
     * slow consumer, as goim's; the bound is checked per batch, so one large batch never counts as slowness.
     */
    @Override
    public int deliver(RoomBatch batch) {
        String topic = subscriptions.get(batch.room);
        int n = batch.clientMessages;
        if (topic == null || n == 0 || state == CLOSED) {
            return 0;
        }
        if (unwritten.get() >= comet.sendQueueSize) {
            comet.metrics.dropSlowConsumer.increment(n);
            if (closeReason == null) {
                comet.slowLog.warn("disconnecting slow {}: more than {} messages waiting to be sent", who(),
                        comet.sendQueueSize);
                close("slow_consumer", null);
            }
            return 0;
        }
        unwritten.addAndGet(n);
        ByteBuf packets = batch.mqttDeliveries(topic, version == MqttVersion.MQTT_5);
        channel.eventLoop().execute(() -> {
            channel.writeAndFlush(packets).addListener(f -> unwritten.addAndGet(-n));
            comet.metrics.outMqtt.increment(n);
        });
        return 0;
    }

    @Override
    public String memberKey() {
        return logic.key();
    }

    @Override
    public long memberMid() {
        return logic.mid();
    }
}
