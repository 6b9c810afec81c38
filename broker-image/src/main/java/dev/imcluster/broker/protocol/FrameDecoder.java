package dev.imcluster.broker.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits a TCP stream into {@link Frame}s. After a protocol error it discards all further input: the
 * connection is being closed and nothing after a broken frame can be trusted.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    private final int maxBodySize;
    private boolean failed;

    public FrameDecoder(int maxBodySize) {
        this.maxBodySize = maxBodySize;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            Frame frame;
            while ((frame = FrameCodec.decode(in, maxBodySize)) != null) {
                out.add(frame);
            }
        } catch (ProtocolException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }
}
