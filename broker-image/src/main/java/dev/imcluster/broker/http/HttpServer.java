package dev.imcluster.broker.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small Netty HTTP/1.1 server for the admin endpoints and logic's push API. Requests are aggregated up to a
 * size limit (larger ones get 413 from Netty), handed to a non-blocking {@link Handler}, and answered when its
 * future completes; keep-alive is honoured.
 */
public final class HttpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

    /** A request with its decoded query string and body. */
    public record Request(String method, String path, Map<String, List<String>> params, byte[] body,
                          InetSocketAddress remote, String authorization) {
        public String param(String name) {
            List<String> values = params.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        public List<String> params(String name) {
            return params.getOrDefault(name, List.of());
        }
    }

    public record Reply(int status, String contentType, byte[] body) {
        public static Reply text(int status, String text) {
            return new Reply(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
        }

        public static Reply json(int status, String json) {
            return new Reply(status, "application/json; charset=utf-8", json.getBytes(StandardCharsets.UTF_8));
        }
    }

    @FunctionalInterface
    public interface Handler {
        /** Must not block: it runs on a Netty event loop. */
        CompletableFuture<Reply> handle(Request request);
    }

    private final String name;
    private final EventLoopGroup group;
    private final Channel channel;

    private HttpServer(String name, EventLoopGroup group, Channel channel) {
        this.name = name;
        this.group = group;
        this.channel = channel;
    }

    /** How long a connection may take to deliver a complete request, from connecting or from its last response. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    /** Binds and starts serving; port 0 picks a free port (see {@link #port()}). Rejections are not counted. */
    public static HttpServer start(String name, String bindAddress, int port, int maxContentLength, int threads,
                                   Handler handler) throws InterruptedException {
        return start(name, bindAddress, port, maxContentLength, threads, DEFAULT_REQUEST_TIMEOUT, null, handler);
    }

    /**
     * As above; refused requests and connections closed for a bad or too slow request are counted in
     * {@code meters} ({@code imcluster_http_rejected_total}) when it is not null.
     */
    public static HttpServer start(String name, String bindAddress, int port, int maxContentLength, int threads,
                                   Duration requestTimeout, MeterRegistry meters, Handler handler)
            throws InterruptedException {
        HttpGuard guard = new HttpGuard(name, requestTimeout, meters);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name + "-http", true),
                NioIoHandler.newFactory());
        try {
            Channel channel = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(),
                                    new HttpObjectAggregator(maxContentLength) {
                                        @Override
                                        protected void handleOversizedMessage(ChannelHandlerContext ctx,
                                                                              HttpMessage oversized) throws Exception {
                                            guard.tooLarge(ctx);
                                            super.handleOversizedMessage(ctx, oversized);
                                        }
                                    },
                                    guard.deadline(),
                                    new Dispatcher(name, handler, guard));
                        }
                    })
                    .bind(bindAddress, port).sync().channel();
            return new HttpServer(name, group, channel);
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        log.info("{} HTTP server stopped", name);
    }

    private static final class Dispatcher extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final String name;
        private final Handler handler;
        private final HttpGuard guard;

        Dispatcher(String name, Handler handler, HttpGuard guard) {
            this.name = name;
            this.guard = guard;
            this.handler = handler;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
            boolean keepAlive = HttpUtil.isKeepAlive(msg);
            if (!msg.decoderResult().isSuccess()) {
                guard.malformed(ctx, msg.decoderResult().cause());
                write(ctx, Reply.text(400, "malformed HTTP request\n"), false);
                return;
            }
            QueryStringDecoder query = new QueryStringDecoder(msg.uri());
            byte[] body = new byte[msg.content().readableBytes()];
            msg.content().readBytes(body);
            Request request = new Request(msg.method().name(), query.path(), query.parameters(), body,
                    (InetSocketAddress) ctx.channel().remoteAddress(), msg.headers().get(HttpHeaderNames.AUTHORIZATION));
            CompletableFuture<Reply> reply;
            try {
                reply = handler.handle(request);
            } catch (RuntimeException e) {
                reply = CompletableFuture.failedFuture(e);
            }
            reply.whenComplete((r, error) -> {
                if (error != null) {
                    log.warn("{}: {} {} failed", name, request.method(), request.path(), error);
                    r = Reply.text(500, "internal error: " + error + "\n");
                }
                guard.replied(r.status());
                write(ctx, r, keepAlive);
            });
        }

        private static void write(ChannelHandlerContext ctx, Reply r, boolean keepAlive) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(r.status()), Unpooled.wrappedBuffer(r.body()));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
            HttpUtil.setContentLength(response, r.body().length);
            if (keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(response);
            } else {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof IllegalArgumentException && ctx.channel().isActive()) {
                // thrown while decoding a request, e.g. a URI with bad percent-encoding: a 400, not a silent close
                guard.malformed(ctx, cause);
                write(ctx, Reply.text(400, "malformed HTTP request: " + cause.getMessage() + "\n"), false);
                return;
            }
            log.debug("{}: connection error: {}", name, cause.toString());
            ctx.close();
        }
    }
}
