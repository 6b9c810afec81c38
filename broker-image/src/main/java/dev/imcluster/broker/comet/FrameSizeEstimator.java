package dev.imcluster.broker.comet;

import io.netty.buffer.ByteBuf;
import io.netty.channel.DefaultMessageSizeEstimator;
import io.netty.channel.MessageSizeEstimator;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * Pending-bytes accounting (write buffer water marks) for comet's client channels, exact for what comet writes
 * per frame (a ByteBuf, or a WebSocket frame) and tested with class checks first; Netty's default tests the
 * ByteBufHolder interface and FileRegion too, and was 7% of the broker's CPU samples in the room fan-out.
 * Anything else (the HTTP handshake) falls back to the default.
 */
final class FrameSizeEstimator implements MessageSizeEstimator, MessageSizeEstimator.Handle {
    static final FrameSizeEstimator INSTANCE = new FrameSizeEstimator();
    private static final Handle FALLBACK = DefaultMessageSizeEstimator.DEFAULT.newHandle();

    private FrameSizeEstimator() {
    }

    @Override
    public Handle newHandle() {
        return this;
    }

    @Override
    public int size(Object msg) {
        if (msg instanceof ByteBuf buf) {
            return buf.readableBytes();
        }
        if (msg instanceof WebSocketFrame frame) {
            return frame.content().readableBytes();
        }
        return FALLBACK.size(msg);
    }
}
