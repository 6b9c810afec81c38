package dev.imcluster.broker.comet;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Checks a request before Netty's WebSocket handshaker sees it, which would otherwise upgrade:
 * <ul>
 *   <li>a request the HTTP decoder failed on (headers over the size limit, a broken header line, a bad
 *       Content-Length), using whatever part of it was parsed: refused with 400;</li>
 *   <li>the drafts 7 and 8 and, without a version header, the legacy hixie-75/76 handshakes, which goim's clients
 *       never send and whose framing comet does not speak: refused with 426 naming version 13 (RFC 6455).</li>
 * </ul>
 * Both are counted as a {@code websocket_handshake} protocol error, logged (rate-limited), and the connection is
 * closed.
 */
final class WebSocketHandshakeCheck extends ChannelInboundHandlerAdapter {
    static final String SUPPORTED = "13";

    private final CometContext comet;

    WebSocketHandshakeCheck(CometContext comet) {
        this.comet = comet;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof FullHttpRequest req) {
            if (!req.decoderResult().isSuccess()) {
                refuse(ctx, req, HttpResponseStatus.BAD_REQUEST, "malformed request: " + req.decoderResult().cause());
                return;
            }
            String version = req.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
            if (req.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                    && (version == null || !SUPPORTED.equals(version.trim()))) {
                refuse(ctx, req, HttpResponseStatus.UPGRADE_REQUIRED, "Sec-WebSocket-Version " + version
                        + ", only " + SUPPORTED + " is supported");
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private void refuse(ChannelHandlerContext ctx, FullHttpRequest req, HttpResponseStatus status, String why) {
        req.release();
        comet.metrics.protocolError("websocket_handshake");
        comet.protocolLog.warn("refusing a websocket handshake from {}: {}", ctx.channel().remoteAddress(), why);
        FullHttpResponse refusal = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status);
        refusal.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (status == HttpResponseStatus.UPGRADE_REQUIRED) {
            refusal.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, SUPPORTED);
        }
        ctx.writeAndFlush(refusal).addListener(ChannelFutureListener.CLOSE);
    }
}
