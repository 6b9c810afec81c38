package dev.imcluster.broker.protocol;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * One decoded client frame. The body is a retained slice of the read buffer: whoever consumes the frame
 * releases it with {@link #release()}.
 */
public final class Frame {
    private final int ver;
    private final int op;
    private final int seq;
    private final ByteBuf body;

    public Frame(int ver, int op, int seq, ByteBuf body) {
        this.ver = ver;
        this.op = op;
        this.seq = seq;
        this.body = body;
    }

    public int ver() {
        return ver;
    }

    public int op() {
        return op;
    }

    public int seq() {
        return seq;
    }

    public ByteBuf body() {
        return body;
    }

    public String bodyAsString() {
        return body.toString(StandardCharsets.UTF_8);
    }

    public byte[] bodyBytes() {
        byte[] bytes = new byte[body.readableBytes()];
        body.getBytes(body.readerIndex(), bytes);
        return bytes;
    }

    public void release() {
        body.release();
    }

    @Override
    public String toString() {
        return "Frame{ver=" + ver + ", op=" + op + ", seq=" + seq + ", bodyLen=" + body.readableBytes() + '}';
    }
}
