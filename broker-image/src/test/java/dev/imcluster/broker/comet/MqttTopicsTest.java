package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import org.junit.jupiter.api.Test;

/** The MQTT topic mapping (docs/MQTT.md) and the packet size limit, byte by byte. */
class MqttTopicsTest {

    @Test
    void roomAndTopicFiltersNameRooms() {
        assertThat(MqttTopics.room("room/live/1000").room()).isEqualTo("live://1000");
        assertThat(MqttTopics.room("room/live/a/b").room()).isEqualTo("live://a/b");
        assertThat(MqttTopics.room("topic/news").room()).isEqualTo("news");
        assertThat(MqttTopics.room("topic/live://1000").room()).isEqualTo("live://1000");
        assertThat(MqttTopics.room("topic/a/b").room()).isEqualTo("a/b");
    }

    @Test
    void wildcardsAndOtherNamesAreRefused() {
        for (String wildcard : new String[] {"room/live/+", "room/#", "topic/+", "#", "+/x"}) {
            assertThat(MqttTopics.room(wildcard).refusal()).as(wildcard).isEqualTo(MqttTopics.Refusal.WILDCARD);
        }
        for (String invalid : new String[] {"room/live", "room/live/", "room//1", "topic/", "news", "",
                "$share/g/topic/news", "rooms/live/1"}) {
            MqttTopics.Mapping m = MqttTopics.room(invalid);
            assertThat(m.room()).as(invalid).isNull();
            assertThat(m.refusal()).as(invalid).isEqualTo(MqttTopics.Refusal.TOPIC_INVALID);
        }
    }

    @Test
    void packetsUpToTheLimitPassUnchangedSplitAnywhere() {
        EmbeddedChannel ch = new EmbeddedChannel(new MqttPacketLimit(8));
        // PINGREQ (2 bytes), then a PUBLISH of 8 bytes in all, fed one byte at a time.
        byte[] bytes = {(byte) 0xC0, 0, 0x30, 6, 0, 1, 'x', 'a', 'b', 'c'};
        for (byte b : bytes) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        ByteBuf passed = Unpooled.buffer();
        for (ByteBuf b; (b = ch.readInbound()) != null; ) {
            passed.writeBytes(b);
            b.release();
        }
        assertThat(passed.array()).startsWith(bytes);
        assertThat(passed.readableBytes()).isEqualTo(bytes.length);
        passed.release();
    }

    @Test
    void aLargerPacketIsRefusedAtItsFixedHeader() {
        EmbeddedChannel ch = new EmbeddedChannel(new MqttPacketLimit(8));
        assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x30, 7})))
                .isInstanceOf(TooLongFrameException.class).hasMessageContaining("9 bytes");
        EmbeddedChannel five = new EmbeddedChannel(new MqttPacketLimit(8));
        assertThatThrownBy(() -> five.writeInbound(Unpooled.wrappedBuffer(
                new byte[] {0x30, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 1})))
                .isInstanceOf(DecoderException.class).hasMessageContaining("longer than 4 bytes");
    }
}
