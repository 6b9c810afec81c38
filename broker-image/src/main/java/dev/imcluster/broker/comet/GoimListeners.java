package dev.imcluster.broker.comet;

import dev.imcluster.broker.config.CometConfig;
import dev.imcluster.broker.protocol.FrameCodec;
import dev.imcluster.broker.protocol.FrameDecoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;

/** The goim-protocol listeners: raw TCP, and WebSocket binary messages at the configured path. */
final class GoimListeners implements AutoCloseable {
    private final CometContext comet;
    private final Transports transports;
    private final String bindAddress;
    private Channel tcp;
    private Channel websocket;
    /** comet.tls: both listeners speak TLS only (TCP as TLS, WebSocket as wss). Null: plaintext. */
    private final SslContext tls;

    GoimListeners(CometContext comet, Transports transports, String bindAddress, SslContext tls) {
        this.comet = comet;
        this.tls = tls;
        this.transports = transports;
        this.bindAddress = bindAddress;
    }

    void start() throws InterruptedException {
        CometConfig c = comet.config;
        if (c.tcp.enabled) {
            tcp = bootstrap(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    addTls(ch);
                    ch.pipeline()
                            .addLast("frames", new FrameDecoder(comet.maxBodySize))
                            .addLast("session", new Session(comet, Transport.TCP));
                }
            }).bind(new InetSocketAddress(bindAddress, c.tcp.port)).sync().channel();
        }
        if (c.websocket.enabled) {
            int maxFrame = FrameCodec.HEADER_SIZE + comet.maxBodySize;
            WebSocketServerProtocolConfig wsConfig = WebSocketServerProtocolConfig.newBuilder()
                    .websocketPath(c.websocket.path)
                    .checkStartsWith(false)
                    .handshakeTimeoutMillis(c.protocol.handshakeTimeout.toMillis())
                    .decoderConfig(WebSocketDecoderConfig.newBuilder()
                            .maxFramePayloadLength(maxFrame)
                            .allowExtensions(false)
                            .build())
                    .build();
            websocket = bootstrap(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    addTls(ch);
                    ch.pipeline()
                            .addLast("http", new HttpServerCodec(4096, 8192, 8192))
                            .addLast("handshake", new HttpObjectAggregator(8192))
                            .addLast("check", new WebSocketHandshakeCheck(comet))
                            .addLast("websocket", new WebSocketServerProtocolHandler(wsConfig))
                            .addLast("fragments", new WebSocketFrameAggregator(maxFrame))
                            .addLast("frames", new WebSocketFrames(comet.maxBodySize))
                            .addLast("session", new Session(comet, Transport.WEBSOCKET));
                }
            }).bind(new InetSocketAddress(bindAddress, c.websocket.port)).sync().channel();
        }
    }

    private void addTls(SocketChannel ch) {
        if (tls != null) {
            SslHandler handler = tls.newHandler(ch.alloc());
            handler.setHandshakeTimeoutMillis(comet.config.protocol.handshakeTimeout.toMillis());
            ch.pipeline().addLast("tls", handler);
        }
    }

    private ServerBootstrap bootstrap(ChannelInitializer<SocketChannel> init) {
        return new ServerBootstrap()
                .group(transports.boss(), transports.workers())
                .channel(transports.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.MESSAGE_SIZE_ESTIMATOR, FrameSizeEstimator.INSTANCE)
                .childHandler(init);
    }

    int tcpPort() {
        return tcp == null ? -1 : ((InetSocketAddress) tcp.localAddress()).getPort();
    }

    int websocketPort() {
        return websocket == null ? -1 : ((InetSocketAddress) websocket.localAddress()).getPort();
    }

    /** Stops accepting; open connections stay. */
    @Override
    public void close() {
        if (tcp != null) {
            tcp.close().syncUninterruptibly();
        }
        if (websocket != null) {
            websocket.close().syncUninterruptibly();
        }
    }
}
