package dev.imcluster.broker.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * goim's frame format: a 16-byte big-endian header (packLen int32 = header + body, headerLen int16 = 16,
 * ver int16, op int32, seq int32) followed by the body. Stateless; every method is allocation-free except
 * where it returns a new buffer.
 */
public final class FrameCodec {
    public static final int HEADER_SIZE = 16;
    /** A heartbeat reply's body: the room's online count. */
    public static final int HEARTBEAT_BODY_SIZE = 4;

    private FrameCodec() {
    }

    /** Writes a header for a body of {@code bodyLen} bytes at the writer index. */
    public static void writeHeader(ByteBuf out, int bodyLen, int ver, int op, int seq) {
        out.writeInt(HEADER_SIZE + bodyLen);
        out.writeShort(HEADER_SIZE);
        out.writeShort(ver);
        out.writeInt(op);
        out.writeInt(seq);
    }

    /** Appends a whole frame; the body's reader index is left unchanged. */
    public static void writeFrame(ByteBuf out, int ver, int op, int seq, ByteBuf body) {
        int len = body == null ? 0 : body.readableBytes();
        writeHeader(out, len, ver, op, seq);
        if (len > 0) {
            out.writeBytes(body, body.readerIndex(), len);
        }
    }

    /** Appends a whole frame with a byte-array body. */
    public static void writeFrame(ByteBuf out, int ver, int op, int seq, byte[] body) {
        int len = body == null ? 0 : body.length;
        writeHeader(out, len, ver, op, seq);
        if (len > 0) {
            out.writeBytes(body);
        }
    }

    /** A new buffer holding one frame. */
    public static ByteBuf encode(ByteBufAllocator alloc, int ver, int op, int seq, ByteBuf body) {
        int len = body == null ? 0 : body.readableBytes();
        ByteBuf out = alloc.buffer(HEADER_SIZE + len);
        writeFrame(out, ver, op, seq, body);
        return out;
    }

    /** A new buffer holding one frame with a byte-array body. */
    public static ByteBuf encode(ByteBufAllocator alloc, int ver, int op, int seq, byte[] body) {
        int len = body == null ? 0 : body.length;
        ByteBuf out = alloc.buffer(HEADER_SIZE + len);
        writeFrame(out, ver, op, seq, body);
        return out;
    }

    /** A heartbeat reply carrying the room's online count. */
    public static ByteBuf heartbeatReply(ByteBufAllocator alloc, int ver, int seq, int online) {
        ByteBuf out = alloc.buffer(HEADER_SIZE + HEARTBEAT_BODY_SIZE);
        writeHeader(out, HEARTBEAT_BODY_SIZE, ver, Op.HEARTBEAT_REPLY, seq);
        out.writeInt(online);
        return out;
    }

    /**
     * Decodes one frame from a stream (TCP). Returns null, consuming nothing, while the frame is incomplete;
     * otherwise consumes it and returns it with a retained slice as body.
     *
     * @throws ProtocolException on a bad headerLen, or a packLen that is negative, shorter than the header or
     *         longer than the header plus {@code maxBodySize}; the input is then left as it was.
     */
    public static Frame decode(ByteBuf in, int maxBodySize) {
        if (in.readableBytes() < HEADER_SIZE) {
            return null;
        }
        int start = in.readerIndex();
        int packLen = checkHeader(in, start, maxBodySize);
        if (in.readableBytes() < packLen) {
            return null;
        }
        Frame frame = new Frame(in.getShort(start + 6), in.getInt(start + 8), in.getInt(start + 12),
                in.retainedSlice(start + HEADER_SIZE, packLen - HEADER_SIZE));
        in.skipBytes(packLen);
        return frame;
    }

    /**
     * Decodes a message that must hold exactly one frame (a WebSocket binary message, as goim reads them).
     *
     * @throws ProtocolException when the message is shorter than a header, its packLen differs from its
     *         length, or the header is bad as in {@link #decode}
     */
    public static Frame decodeWhole(ByteBuf message, int maxBodySize) {
        int length = message.readableBytes();
        if (length < HEADER_SIZE) {
            throw new ProtocolException("short_frame", "message of " + length + " bytes is shorter than a header");
        }
        int start = message.readerIndex();
        int packLen = checkHeader(message, start, maxBodySize);
        if (packLen != length) {
            throw new ProtocolException("pack_len",
                    "packLen " + packLen + " differs from the message length " + length);
        }
        return new Frame(message.getShort(start + 6), message.getInt(start + 8), message.getInt(start + 12),
                message.retainedSlice(start + HEADER_SIZE, packLen - HEADER_SIZE));
    }

    private static int checkHeader(ByteBuf in, int start, int maxBodySize) {
        int packLen = in.getInt(start);
        int headerLen = in.getShort(start + 4);
        if (headerLen != HEADER_SIZE) {
            throw new ProtocolException("header_len", "headerLen " + headerLen + " is not " + HEADER_SIZE);
        }
        if (packLen < HEADER_SIZE) {
            throw new ProtocolException("pack_len", "packLen " + packLen + " is shorter than the header");
        }
        if (packLen - HEADER_SIZE > maxBodySize) {
            throw new ProtocolException("pack_len",
                    "body of " + (packLen - HEADER_SIZE) + " bytes exceeds the maximum " + maxBodySize);
        }
        return packLen;
    }
}
