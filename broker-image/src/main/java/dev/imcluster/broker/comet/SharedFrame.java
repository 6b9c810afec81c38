package dev.imcluster.broker.comet;

import dev.imcluster.broker.protocol.FrameCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A goim frame pushed to many connections, encoded once. TCP members get views of the same bytes; WebSocket
 * members get views of one pre-built WebSocket binary message, so the fan-out neither wraps nor copies per
 * member. Used by one fan-out thread at a time; the owner releases it after the fan-out.
 */
final class SharedFrame {
    private final ByteBuf frame;
    private final boolean raw;
    private final ByteBufAllocator alloc;
    private ByteBuf websocket;

    /**
     * @param frame a whole goim frame (ownership passes to this object)
     * @param raw   true for a Raw (op 9) frame, whose body TCP clients get without the outer header (goim's WriteTCP)
     */
    SharedFrame(ByteBuf frame, boolean raw, ByteBufAllocator alloc) {
        this.frame = frame;
        this.raw = raw;
        this.alloc = alloc;
    }

    /** A retained view for a TCP client. */
    ByteBuf forTcp() {
        return raw ? frame.retainedSlice(frame.readerIndex() + FrameCodec.HEADER_SIZE,
                frame.readableBytes() - FrameCodec.HEADER_SIZE) : frame.retainedDuplicate();
    }

    /** A retained view of the frame as a complete WebSocket binary message (server frames are unmasked). */
    ByteBuf forWebSocket() {
        if (websocket == null) {
            int len = frame.readableBytes();
            int header = len < 126 ? 2 : len < 65536 ? 4 : 10;
            ByteBuf ws = alloc.directBuffer(header + len);
            ws.writeByte(0x82); // FIN, binary
            if (len < 126) {
                ws.writeByte(len);
            } else if (len < 65536) {
                ws.writeByte(126).writeShort(len);
            } else {
                ws.writeByte(127).writeLong(len);
            }
            ws.writeBytes(frame, frame.readerIndex(), len);
            websocket = ws;
        }
        return websocket.retainedDuplicate();
    }

    void release() {
        frame.release();
        if (websocket != null) {
            websocket.release();
        }
    }
}
