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
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The client listeners: goim's protocol over raw TCP and as WebSocket binary messages at the configured path, and
 * MQTT 3.1.1 and 5 when comet.mqtt is enabled; all with the same limits and TLS.
 */
final class GoimListeners implements AutoCloseable {
    /** MQTT 5's client id limit is the packet's; 256 characters is plenty for a connection key. */
    private static final int MAX_MQTT_CLIENT_ID = 256;
    private final CometContext comet;
    private final Transports transports;
    private final String bindAddress;
    private Channel tcp;
    private Channel websocket;
    private Channel mqtt;
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
                    if (!admitted(ch, Transport.TCP.tag)) {
                        ch.close(); // before TLS or any read
                        return;
                    }
                    addTls(ch);
                    ch.pipeline()
                            .addLast("frames", new FrameDecoder(comet.maxBodySize))
                            .addLast("connection", new Connection(comet, Transport.TCP));
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
                    boolean admitted = admitted(ch, Transport.WEBSOCKET.tag);
                    addTls(ch);
                    if (!admitted) {
                        // HTTP 429 to the upgrade request, so that a browser client sees why and backs off.
                        ch.pipeline()
                                .addLast("http", new HttpServerCodec(4096, 8192, 8192))
                                .addLast("handshake", new HttpObjectAggregator(8192))
                                .addLast("refuse", new RefuseUpgrade());
                        ch.eventLoop().schedule(() -> { ch.close(); }, c.protocol.handshakeTimeout.toNanos(),
                                TimeUnit.NANOSECONDS);
                        return;
                    }
                    ch.pipeline()
                            .addLast("http", new HttpServerCodec(4096, 8192, 8192))
                            .addLast("handshake", new HttpObjectAggregator(8192))
                            .addLast("check", new WebSocketHandshakeCheck(comet))
                            .addLast("websocket", new WebSocketServerProtocolHandler(wsConfig))
                            .addLast("fragments", new WebSocketFrameAggregator(maxFrame))
                            .addLast("frames", new WebSocketFrames(comet.maxBodySize))
                            .addLast("connection", new Connection(comet, Transport.WEBSOCKET));
                }
            }).bind(new InetSocketAddress(bindAddress, c.websocket.port)).sync().channel();
        }
        if (c.mqtt.enabled) {
            int maxPacket = c.mqtt.maxPacketSize;
            mqtt = bootstrap(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    if (!admitted(ch, "mqtt")) {
                        ch.close(); // before TLS or any read
                        return;
                    }
                    addTls(ch);
                    ch.pipeline()
                            .addLast("limit", new MqttPacketLimit(maxPacket))
                            .addLast("decoder", new MqttDecoder(maxPacket, MAX_MQTT_CLIENT_ID))
                            .addLast("encoder", MqttEncoder.INSTANCE)
                            .addLast("connection", new MqttConnection(comet));
                }
            }).bind(new InetSocketAddress(bindAddress, c.mqtt.port)).sync().channel();
        }
    }

    /**
     * Checks the per-address limits for a new connection; an admitted one is released when it closes, a refused
     * one is counted (by the limits) and logged here.
     */
    private boolean admitted(SocketChannel ch, String transport) {
        java.net.SocketAddress remote = ch.remoteAddress();
        String refusal = comet.limits.admit(remote);
        if (refusal != null) {
            comet.limitLog.warn("refused a {} connection from {}: {} ({})", transport, remote, refusal,
                    SourceAddressLimits.setting(refusal));
            return false;
        }
        ch.closeFuture().addListener(f -> comet.limits.release(remote));
        return true;
    }

    /** Answers a refused WebSocket connection's request with 429 and closes it. */
    private static final class RefuseUpgrade extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            FullHttpResponse refusal = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.TOO_MANY_REQUESTS);
            refusal.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0)
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                    .set(HttpHeaderNames.RETRY_AFTER, 1);
            ctx.writeAndFlush(refusal).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
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

    int mqttPort() {
        return mqtt == null ? -1 : ((InetSocketAddress) mqtt.localAddress()).getPort();
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
        if (mqtt != null) {
            mqtt.close().syncUninterruptibly();
        }
    }
}
