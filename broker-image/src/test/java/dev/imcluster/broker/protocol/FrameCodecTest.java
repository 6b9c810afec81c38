package dev.imcluster.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    @Test
    void encodesGoimsHeaderBigEndian() {
        ByteBuf f = FrameCodec.encode(ALLOC, 1, Op.AUTH, 42, "hi".getBytes(StandardCharsets.UTF_8));
        assertThat(f.readableBytes()).isEqualTo(18);
        assertThat(f.getInt(0)).isEqualTo(18);
        assertThat(f.getShort(4)).isEqualTo((short) 16);
        assertThat(f.getShort(6)).isEqualTo((short) 1);
        assertThat(f.getInt(8)).isEqualTo(7);
        assertThat(f.getInt(12)).isEqualTo(42);
        assertThat(f.toString(16, 2, StandardCharsets.UTF_8)).isEqualTo("hi");
        f.release();
    }

    @Test
    void heartbeatReplyCarriesTheOnlineCount() {
        ByteBuf f = FrameCodec.heartbeatReply(ALLOC, 1, 5, 1234);
        assertThat(f.getInt(0)).isEqualTo(20);
        assertThat(f.getInt(8)).isEqualTo(Op.HEARTBEAT_REPLY);
        assertThat(f.getInt(16)).isEqualTo(1234);
        f.release();
    }

    @Test
    void decodesAStreamSplitAnywhere() {
        ByteBuf stream = Unpooled.buffer();
        for (int i = 0; i < 3; i++) {
            FrameCodec.writeFrame(stream, 1, 1000 + i, i, ("body" + i).getBytes(StandardCharsets.UTF_8));
        }
        byte[] all = new byte[stream.readableBytes()];
        stream.readBytes(all);
        for (int split = 0; split <= all.length; split++) {
            EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(4096));
            ch.writeInbound(Unpooled.wrappedBuffer(all, 0, split));
            ch.writeInbound(Unpooled.wrappedBuffer(all, split, all.length - split));
            for (int i = 0; i < 3; i++) {
                Frame f = ch.readInbound();
                assertThat(f.op()).isEqualTo(1000 + i);
                assertThat(f.seq()).isEqualTo(i);
                assertThat(f.bodyAsString()).isEqualTo("body" + i);
                f.release();
            }
            Object rest = ch.readInbound();
            assertThat(rest).isNull();
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void anEmptyBodyIsAllowed() {
        ByteBuf in = FrameCodec.encode(ALLOC, 1, Op.HEARTBEAT, 1, (byte[]) null);
        Frame f = FrameCodec.decode(in, 4096);
        assertThat(f.body().readableBytes()).isZero();
        f.release();
        in.release();
    }

    @Test
    void refusesBadHeaders() {
        assertReason(header(20, 12), "header_len");
        assertReason(header(-1, 16), "pack_len");
        assertReason(header(15, 16), "pack_len");
        assertReason(header(16 + 4097, 16), "pack_len");
    }

    @Test
    void theDecoderClosesTheStreamAfterAnError() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(4096));
        assertThatThrownBy(() -> ch.writeInbound(header(20, 3)))
                .isInstanceOf(DecoderException.class)
                .hasCauseInstanceOf(ProtocolException.class);
        // Whatever follows is discarded, even valid frames.
        ch.writeInbound(FrameCodec.encode(ALLOC, 1, 2, 1, (byte[]) null));
        Object rest = ch.readInbound();
        assertThat(rest).isNull();
        ch.finishAndReleaseAll();
    }

    @Test
    void aWholeMessageMustHoldExactlyOneFrame() {
        ByteBuf two = Unpooled.buffer();
        FrameCodec.writeFrame(two, 1, 2, 1, (byte[]) null);
        FrameCodec.writeFrame(two, 1, 2, 2, (byte[]) null);
        assertThatThrownBy(() -> FrameCodec.decodeWhole(two, 4096))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.reason()).isEqualTo("pack_len"));
        assertThatThrownBy(() -> FrameCodec.decodeWhole(Unpooled.buffer().writeInt(16), 4096))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.reason()).isEqualTo("short_frame"));
        ByteBuf one = FrameCodec.encode(ALLOC, 1, 7, 3, "x".getBytes(StandardCharsets.UTF_8));
        Frame f = FrameCodec.decodeWhole(one, 4096);
        assertThat(f.bodyAsString()).isEqualTo("x");
        f.release();
        one.release();
    }

    private static ByteBuf header(int packLen, int headerLen) {
        return Unpooled.buffer().writeInt(packLen).writeShort(headerLen).writeShort(1).writeInt(7).writeInt(1);
    }

    private static void assertReason(ByteBuf in, String reason) {
        assertThatThrownBy(() -> FrameCodec.decode(in, 4096))
                .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
