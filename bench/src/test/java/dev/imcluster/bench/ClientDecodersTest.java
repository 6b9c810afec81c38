package dev.imcluster.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.bench.core.Deliveries;
import dev.imcluster.bench.core.Payloads;
import dev.imcluster.bench.net.GoimClientHandler;
import dev.imcluster.bench.net.MqttSubscriberHandler;
import dev.imcluster.bench.net.NatsSubscriberHandler;
import dev.imcluster.bench.net.RedisSubscriberHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageIdVariableHeader;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttSubAckMessage;
import io.netty.handler.codec.mqtt.MqttSubAckPayload;
import io.netty.handler.codec.mqtt.MqttSubscribeMessage;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/** The subscriber decoders find every message however the bytes are split across reads. */
class ClientDecodersTest {
    static final byte[] MSG = Payloads.stamp(20, true);

    /** Feeds {@code bytes} one byte at a time, the worst split. */
    static void feedByteByByte(EmbeddedChannel ch, byte[] bytes) {
        for (byte b : bytes) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
    }

    static byte[] goimFrame(int op, byte[] body) {
        ByteBuf b = Unpooled.buffer();
        b.writeInt(16 + body.length).writeShort(16).writeShort(1).writeInt(op).writeInt(0).writeBytes(body);
        return bytesOf(b);
    }

    static byte[] bytesOf(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    @Test
    void goimRawBatchesAreWalkedFrameByFrame() {
        Deliveries d = new Deliveries();
        GoimClientHandler h = new GoimClientHandler(1, null, "live://1", 1000, 0, d, new GoimClientHandler.Stats());
        EmbeddedChannel ch = new EmbeddedChannel(h);
        feedByteByByte(ch, goimFrame(8, new byte[0]));
        assertThat(h.ready()).isDone();
        byte[] inner = goimFrame(1000, MSG);
        byte[] other = goimFrame(1001, MSG);
        byte[] batch = new byte[inner.length * 2 + other.length];
        System.arraycopy(inner, 0, batch, 0, inner.length);
        System.arraycopy(other, 0, batch, inner.length, other.length);
        System.arraycopy(inner, 0, batch, inner.length + other.length, inner.length);
        feedByteByByte(ch, goimFrame(9, batch));
        feedByteByByte(ch, goimFrame(1000, MSG)); // a key push unwrapped
        assertThat(d.all()).isEqualTo(3);
        assertThat(d.measured()).isEqualTo(3);
        assertThat(d.malformed()).isZero();
    }

    @Test
    void natsMessagesAreFoundAndPingsAnswered() {
        Deliveries d = new Deliveries();
        LongAdder errors = new LongAdder();
        NatsSubscriberHandler h = new NatsSubscriberHandler("a.b", d, errors);
        EmbeddedChannel ch = new EmbeddedChannel(h);
        ch.readOutbound(); // CONNECT, SUB, PING
        feedByteByByte(ch, "INFO {}\r\nPONG\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(h.ready()).isDone();
        byte[] head = ("MSG a.b 1 " + MSG.length + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] head2 = ("MSG a.b 1 _INBOX.x " + MSG.length + "\r\n").getBytes(StandardCharsets.US_ASCII);
        for (byte[] h1 : new byte[][] {head, head2}) {
            feedByteByByte(ch, h1);
            feedByteByByte(ch, MSG);
            feedByteByByte(ch, "\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        feedByteByByte(ch, "PING\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(d.all()).isEqualTo(2);
        ByteBuf pong = ch.readOutbound();
        assertThat(pong.toString(StandardCharsets.US_ASCII)).isEqualTo("PONG\r\n");
        assertThat(errors.sum()).isZero();
    }

    @Test
    void redisMessagePushesAreFound() {
        Deliveries d = new Deliveries();
        RedisSubscriberHandler h = new RedisSubscriberHandler("c", d, new LongAdder());
        EmbeddedChannel ch = new EmbeddedChannel(h);
        feedByteByByte(ch, "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(h.ready()).isDone();
        for (int i = 0; i < 2; i++) {
            feedByteByByte(ch, ("*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$" + MSG.length + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            feedByteByByte(ch, MSG);
            feedByteByByte(ch, "\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(d.all()).isEqualTo(2);
        assertThat(d.measured()).isEqualTo(2);
    }

    /** A packet as comet's MQTT codec writes it. */
    static byte[] mqttBytes(MqttMessage packet) {
        EmbeddedChannel encoder = new EmbeddedChannel(MqttEncoder.INSTANCE);
        encoder.writeOutbound(packet);
        return bytesOf(encoder.readOutbound());
    }

    @Test
    void mqttPublishPayloadsAreReportedOnceSubscribed() {
        Deliveries d = new Deliveries();
        MqttSubscriberHandler.Stats stats = new MqttSubscriberHandler.Stats();
        MqttSubscriberHandler h = new MqttSubscriberHandler("k1", 1, "room/live/r-0", d, stats);
        EmbeddedChannel ch = new EmbeddedChannel(h);
        EmbeddedChannel server = new EmbeddedChannel(new MqttDecoder());
        server.writeInbound((ByteBuf) ch.readOutbound());
        MqttConnectMessage connect = server.readInbound();
        assertThat(connect.payload().clientIdentifier()).isEqualTo("k1");
        assertThat(new String(connect.payload().passwordInBytes(), StandardCharsets.UTF_8))
                .isEqualTo("{\"mid\":1,\"key\":\"k1\",\"platform\":\"bench\"}");
        feedByteByByte(ch, mqttBytes(MqttMessageBuilders.connAck()
                .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).build()));
        server.writeInbound((ByteBuf) ch.readOutbound());
        MqttSubscribeMessage subscribe = server.readInbound();
        assertThat(subscribe.payload().topicSubscriptions().get(0).topicName()).isEqualTo("room/live/r-0");
        assertThat(h.ready()).isNotDone();
        feedByteByByte(ch, mqttBytes(new MqttSubAckMessage(new MqttFixedHeader(MqttMessageType.SUBACK, false,
                MqttQoS.AT_MOST_ONCE, false, 0), MqttMessageIdVariableHeader.from(1), new MqttSubAckPayload(0))));
        assertThat(h.ready()).isDone();
        for (int i = 0; i < 2; i++) {
            feedByteByByte(ch, mqttBytes(MqttMessageBuilders.publish().topicName("room/live/r-0")
                    .qos(MqttQoS.AT_MOST_ONCE).payload(Unpooled.wrappedBuffer(MSG)).build()));
        }
        assertThat(d.all()).isEqualTo(2);
        assertThat(d.measured()).isEqualTo(2);
        assertThat(d.malformed()).isZero();
        assertThat(stats.protocolErrors.sum()).isZero();
        h.close();
        assertThat(stats.closedUnexpectedly.sum()).isZero();
    }

    @Test
    void mqttRefusedSubscriptionFailsTheConnect() {
        MqttSubscriberHandler.Stats stats = new MqttSubscriberHandler.Stats();
        MqttSubscriberHandler h = new MqttSubscriberHandler("k1", 1, "room/live/+", new Deliveries(), stats);
        EmbeddedChannel ch = new EmbeddedChannel(h);
        feedByteByByte(ch, mqttBytes(MqttMessageBuilders.connAck()
                .returnCode(MqttConnectReturnCode.CONNECTION_ACCEPTED).build()));
        feedByteByByte(ch, mqttBytes(new MqttSubAckMessage(new MqttFixedHeader(MqttMessageType.SUBACK, false,
                MqttQoS.AT_MOST_ONCE, false, 0), MqttMessageIdVariableHeader.from(1), new MqttSubAckPayload(0x80))));
        assertThat(h.ready()).isCompletedExceptionally();
        assertThat(ch.isActive()).isFalse();
        assertThat(stats.closedUnexpectedly.sum()).isZero();
    }
}
