package dev.imcluster.bench.net;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * The bench's few I/O threads (epoll where available), shared by every client connection and the gRPC clients,
 * so the load generator stays small next to the broker it shares the machine with.
 */
public final class ClientLoop implements AutoCloseable {
    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelType;

    public ClientLoop(int threads) {
        if (Epoll.isAvailable()) {
            group = new MultiThreadIoEventLoopGroup(threads, EpollIoHandler.newFactory());
            channelType = EpollSocketChannel.class;
        } else {
            group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
            channelType = NioSocketChannel.class;
        }
    }

    public EventLoopGroup group() {
        return group;
    }

    public Class<? extends SocketChannel> channelType() {
        return channelType;
    }

    /** A TCP client bootstrap on these threads, Nagle off. */
    public Bootstrap bootstrap() {
        return new Bootstrap().group(group).channel(channelType)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000);
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
