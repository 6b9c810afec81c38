package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttPublishMessage;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttVersion;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The PUBLISH packets a room batch encodes once for all MQTT members, read back by Netty's own decoder. */
class MqttPacketsTest {

    @ParameterizedTest
    @EnumSource(value = MqttVersion.class, names = {"MQTT_3_1_1", "MQTT_5"})
    void roomDeliveriesDecodeAsQos0PublishesWithTheirBodiesInOrder(MqttVersion version) {
        // Remaining lengths of one, two and three bytes, and an empty body.
        List<ByteString> bodies = List.of(ByteString.copyFromUtf8("hi"), ByteString.EMPTY,
                ByteString.copyFrom(new byte[300]), ByteString.copyFrom(new byte[20_000]));
        ByteBuf packets = MqttPackets.deliveries(ByteBufAllocator.DEFAULT, "room/live/1",
                version == MqttVersion.MQTT_5, bodies);

        EmbeddedChannel client = new EmbeddedChannel(new MqttDecoder(1 << 20));
        if (version == MqttVersion.MQTT_5) {
            // The decoder reads MQTT 5's properties once it has seen a CONNECT that says 5.
            MqttConnectMessage connect = MqttMessageBuilders.connect().clientId("c").protocolVersion(version).build();
            EmbeddedChannel encoder = new EmbeddedChannel(MqttEncoder.INSTANCE);
            encoder.writeOutbound(connect);
            client.writeInbound((ByteBuf) encoder.readOutbound());
            client.readInbound();
        }
        client.writeInbound(packets);
        List<MqttPublishMessage> read = new ArrayList<>();
        for (Object m; (m = client.readInbound()) != null; ) {
            read.add((MqttPublishMessage) m);
        }
        assertThat(read).hasSize(bodies.size());
        for (int i = 0; i < bodies.size(); i++) {
            MqttPublishMessage p = read.get(i);
            assertThat(p.decoderResult().isSuccess()).as("packet %d decoded", i).isTrue();
            assertThat(p.fixedHeader().qosLevel()).isEqualTo(MqttQoS.AT_MOST_ONCE);
            assertThat(p.fixedHeader().isRetain()).isFalse();
            assertThat(p.variableHeader().topicName()).isEqualTo("room/live/1");
            assertThat(ByteBufUtil.getBytes(p.payload())).isEqualTo(bodies.get(i).toByteArray());
            p.release();
        }
    }
}
