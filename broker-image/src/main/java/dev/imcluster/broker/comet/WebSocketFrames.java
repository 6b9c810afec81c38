package dev.imcluster.broker.comet;

import dev.imcluster.broker.protocol.FrameCodec;
import dev.imcluster.broker.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * Between Netty's WebSocket codec and {@link Connection}: each binary message holds exactly one goim frame (as
 * goim reads them), and each outgoing frame buffer becomes one binary message. A text message, or a plain HTTP
 * request to another path, is refused.
 */
final class WebSocketFrames extends ChannelDuplexHandler {
    private final int maxBodySize;
    private boolean failed;

    WebSocketFrames(int maxBodySize) {
        this.maxBodySize = maxBodySize;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest req) {
            req.release();
            ctx.writeAndFlush(new DefaultFullHttpResponse(req.protocolVersion(), HttpResponseStatus.NOT_FOUND))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (failed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (msg instanceof BinaryWebSocketFrame frame) {
                ctx.fireChannelRead(FrameCodec.decodeWhole(frame.content(), maxBodySize));
            } else if (msg instanceof WebSocketFrame) {
                throw new ProtocolException("websocket", msg.getClass().getSimpleName() + " is not a binary message");
            } else {
                throw new ProtocolException("websocket", "unexpected message " + msg.getClass().getSimpleName());
            }
        } catch (ProtocolException e) {
            failed = true;
            ctx.fireExceptionCaught(e);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf buf) {
            ctx.write(new BinaryWebSocketFrame(buf), promise);
        } else {
            ctx.write(msg, promise);
        }
    }
}
