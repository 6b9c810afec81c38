package dev.imcluster.broker.comet;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.util.List;

/**
 * Refuses an MQTT packet larger than {@code comet.mqtt.maxPacketSize} as soon as its fixed header is read, and
 * passes everything else on unchanged. Netty's MqttDecoder checks its limit only once the whole packet is
 * buffered, so without this a client could make comet hold up to 256 MB per connection.
 */
final class MqttPacketLimit extends ByteToMessageDecoder {
    private final int maxPacketSize;
    /** Bytes of the current packet not yet passed on; 0 at a packet boundary. */
    private int remaining;

    MqttPacketLimit(int maxPacketSize) {
        this.maxPacketSize = maxPacketSize;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            if (remaining == 0) {
                int size = packetSize(in);
                if (size < 0) {
                    return; // the fixed header is not complete yet
                }
                if (size > maxPacketSize) {
                    in.skipBytes(in.readableBytes());
                    throw new TooLongFrameException("an MQTT packet of " + size
                            + " bytes is over comet.mqtt.maxPacketSize (" + maxPacketSize + ")");
                }
                remaining = size;
            }
            int n = Math.min(remaining, in.readableBytes());
            out.add(in.readRetainedSlice(n));
            remaining -= n;
        }
    }

    /** The size of the packet starting at the reader index (fixed header included), or -1 if its header is cut. */
    static int packetSize(ByteBuf in) {
        int start = in.readerIndex();
        int length = 0;
        int multiplier = 1;
        for (int i = 1; i <= 4; i++) {
            if (in.readableBytes() <= i) {
                return -1;
            }
            int digit = in.getUnsignedByte(start + i);
            length += (digit & 0x7F) * multiplier;
            if ((digit & 0x80) == 0) {
                return 1 + i + length;
            }
            multiplier *= 128;
        }
        throw new DecoderException("MQTT remaining length longer than 4 bytes");
    }
}
