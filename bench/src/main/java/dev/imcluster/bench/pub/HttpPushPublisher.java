package dev.imcluster.bench.pub;

import dev.imcluster.bench.net.ClientLoop;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.IntFunction;

/**
 * goim's HTTP push API over keep-alive connections, one request in flight on each (no pipelining: logic may
 * complete pipelined requests out of order); target i is
 * the request URI {@code uris.apply(i)}, e.g. {@code /goim/push/room?operation=1000&type=live&room=1}.
 */
public final class HttpPushPublisher implements Publisher {
    private final String[] uris;
    private final String hostHeader;
    private final BlockingQueue<Connection> idle;
    private final String what;
    private final int connections;

    public HttpPushPublisher(ClientLoop loop, String host, int port, int connections, int targets,
                             IntFunction<String> uris, String what) throws InterruptedException {
        this.uris = new String[targets];
        for (int i = 0; i < targets; i++) {
            this.uris[i] = uris.apply(i);
        }
        this.hostHeader = host + ":" + port;
        this.what = what;
        this.connections = connections;
        this.idle = new ArrayBlockingQueue<>(connections);
        for (int i = 0; i < connections; i++) {
            Connection c = new Connection();
            Channel ch = loop.bootstrap().handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel sc) {
                    sc.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 16), c);
                }
            }).connect(host, port).sync().channel();
            c.channel = ch;
            idle.add(c);
        }
    }

    @Override
    public void publish(int target, byte[] payload, Callback callback) {
        Connection c;
        try {
            c = idle.take(); // the run's window bounds the callers; this bounds the connections
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            callback.done(e);
            return;
        }
        if (!c.channel.isActive()) {
            idle.add(c);
            callback.done(new IllegalStateException("HTTP connection to logic closed"));
            return;
        }
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uris[target],
                Unpooled.wrappedBuffer(payload));
        request.headers().set(HttpHeaderNames.HOST, hostHeader)
                .set(HttpHeaderNames.CONTENT_LENGTH, payload.length)
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
        c.callback = callback;
        c.channel.writeAndFlush(request).addListener(f -> {
            if (!f.isSuccess()) {
                c.finish(f.cause());
            }
        });
    }

    @Override
    public String describe() {
        return what + ", " + connections + " connections";
    }

    @Override
    public void close() {
        for (Connection c : idle) {
            c.channel.close();
        }
    }

    private final class Connection extends SimpleChannelInboundHandler<FullHttpResponse> {
        volatile Channel channel;
        volatile Callback callback;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            int status = response.status().code();
            finish(status == 200 ? null : new IllegalStateException("HTTP " + status + ": "
                    + response.content().toString(StandardCharsets.UTF_8)));
        }

        void finish(Throwable error) {
            Callback cb = callback;
            callback = null;
            if (cb != null) {
                idle.add(this);
                cb.done(error);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            finish(new IllegalStateException("HTTP connection to logic closed"));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
