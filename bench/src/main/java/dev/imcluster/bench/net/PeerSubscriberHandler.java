package dev.imcluster.bench.net;

import dev.imcluster.bench.core.Deliveries;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

/**
 * A peer server's subscriber connection (NATS, Redis): sends its protocol's hello on connect, is ready once the
 * server confirms the subscription, and records what arrives; the subclass parses its protocol.
 */
abstract class PeerSubscriberHandler extends ByteToMessageDecoder implements BenchClient {
    protected final Deliveries deliveries;
    protected final LongAdder serverErrors;
    protected final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final String peer;
    private volatile ChannelHandlerContext ctx;

    PeerSubscriberHandler(String peer, Deliveries deliveries, LongAdder serverErrors) {
        this.peer = peer;
        this.deliveries = deliveries;
        this.serverErrors = serverErrors;
    }

    /** What to send on connect: the protocol's handshake and subscription. */
    protected abstract String hello();

    @Override
    public CompletableFuture<Void> ready() {
        return ready;
    }

    @Override
    public void close() {
        ChannelHandlerContext c = ctx;
        if (c != null) {
            c.close();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        ctx.writeAndFlush(ByteBufUtil.writeAscii(ctx.alloc(), hello()));
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        ready.completeExceptionally(new IllegalStateException(peer + " connection closed before subscribing"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
