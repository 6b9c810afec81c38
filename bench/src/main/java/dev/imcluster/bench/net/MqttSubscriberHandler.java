package dev.imcluster.bench.net;

import dev.imcluster.bench.core.Deliveries;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One MQTT 3.1.1 subscriber of comet's MQTT listener (docs/MQTT.md): CONNECT with a goim Auth JSON as its
 * password, SUBSCRIBE one topic filter at QoS 0, PINGREQ every half keep-alive, and report each PUBLISH's payload
 * (the pushed body, as a goim client's frame body carries it) to {@link Deliveries}. Netty's MQTT codec, which
 * it puts in front of itself, reads and writes the packets.
 */
public final class MqttSubscriberHandler extends SimpleChannelInboundHandler<MqttMessage> implements BenchClient {
    /** Larger than any packet comet sends (its comet.mqtt.maxPacketSize). */
    static final int MAX_PACKET = 1 << 20;
    static final int KEEP_ALIVE_SECONDS = 60;

    /** Counters shared by every client of a run; each is an error of the run (a refusal fails the connect). */
    public static final class Stats {
        public final LongAdder closedUnexpectedly = new LongAdder();
        public final LongAdder protocolErrors = new LongAdder();
    }

    private final String clientId;
    private final byte[] password;
    private final String topicFilter;
    private final Deliveries deliveries;
    private final Stats stats;
    private final CompletableFuture<Void> subscribed = new CompletableFuture<>();
    private ScheduledFuture<?> ping;
    private volatile ChannelHandlerContext ctx;
    private volatile boolean closing;

    /**
     * @param clientId the session key (logic records key -> comet)
     * @param mid the member id of the Auth JSON, as the goim clients send it
     * @param topicFilter e.g. {@code room/live/<id>}
     */
    public MqttSubscriberHandler(String clientId, long mid, String topicFilter, Deliveries deliveries, Stats stats) {
        super(MqttMessage.class);
        this.clientId = clientId;
        this.password = ("{\"mid\":" + mid + ",\"key\":\"" + clientId + "\",\"platform\":\"bench\"}")
                .getBytes(StandardCharsets.UTF_8);
        this.topicFilter = topicFilter;
        this.deliveries = deliveries;
        this.stats = stats;
    }

    /** Completes when SUBACK granted the filter; fails if it was refused or the connection closes first. */
    @Override
    public CompletableFuture<Void> ready() {
        return subscribed;
    }

    /** Closes without counting it as unexpected. */
    @Override
    public void close() {
        closing = true;
        ChannelHandlerContext c = ctx;
        if (c != null) {
            c.close();
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.pipeline().addBefore(ctx.name(), null, new MqttDecoder(MAX_PACKET));
        ctx.pipeline().addBefore(ctx.name(), null, MqttEncoder.INSTANCE);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        // MQTT 3.1.1 allows a password only with a user name; comet ignores the user name.
        ctx.writeAndFlush(MqttMessageBuilders.connect().protocolVersion(MqttVersion.MQTT_3_1_1)
                .clientId(clientId).cleanSession(true).keepAlive(KEEP_ALIVE_SECONDS).hasUser(true).username("bench")
                .hasPassword(true).password(password).build()).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        super.channelActive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, MqttMessage msg) {
        if (msg.decoderResult().isFailure()) {
            protocolError(ctx);
            return;
        }
        switch (msg.fixedHeader().messageType()) {
            case PUBLISH -> {
                ByteBuf payload = ((MqttPublishMessage) msg).payload();
                deliveries.deliver(payload, payload.readerIndex(), payload.readableBytes());
            }
            case CONNACK -> onConnAck(ctx, (MqttConnAckMessage) msg);
            case SUBACK -> onSubAck(ctx, (MqttSubAckMessage) msg);
            case PINGRESP -> { }
            default -> protocolError(ctx);
        }
    }

    private void onConnAck(ChannelHandlerContext ctx, MqttConnAckMessage ack) {
        if (ack.variableHeader().connectReturnCode() != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
            refuse(ctx, "CONNECT refused: " + ack.variableHeader().connectReturnCode());
            return;
        }
        ctx.writeAndFlush(MqttMessageBuilders.subscribe().messageId(1)
                .addSubscription(MqttQoS.AT_MOST_ONCE, topicFilter).build())
                .addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        long half = TimeUnit.SECONDS.toMillis(KEEP_ALIVE_SECONDS) / 2;
        ping = ctx.executor().scheduleAtFixedRate(() -> ctx.writeAndFlush(MqttMessage.PINGREQ, ctx.voidPromise()),
                half, half, TimeUnit.MILLISECONDS);
    }

    private void onSubAck(ChannelHandlerContext ctx, MqttSubAckMessage ack) {
        int granted = ack.payload().grantedQoSLevels().isEmpty() ? 0x80 : ack.payload().grantedQoSLevels().get(0);
        if (granted >= 0x80) {
            refuse(ctx, "SUBSCRIBE " + topicFilter + " refused: 0x" + Integer.toHexString(granted));
            return;
        }
        subscribed.complete(null);
    }

    private void refuse(ChannelHandlerContext ctx, String why) {
        closing = true;
        subscribed.completeExceptionally(new IllegalStateException(why));
        ctx.close();
    }

    private void protocolError(ChannelHandlerContext ctx) {
        stats.protocolErrors.increment();
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (ping != null) {
            ping.cancel(false);
        }
        if (!closing) {
            stats.closedUnexpectedly.increment();
        }
        subscribed.completeExceptionally(new IllegalStateException("connection closed before SUBACK"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
