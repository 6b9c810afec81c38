package dev.imcluster.broker.comet;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * comet's Netty event loops, shared by the goim listeners, both gRPC servers and the client to logic: epoll
 * where the native transport loads, NIO otherwise.
 */
final class Transports implements AutoCloseable {
    private final boolean epoll = Epoll.isAvailable();
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;

    Transports(int workerThreads) {
        boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("comet-accept", true), factory());
        workers = new MultiThreadIoEventLoopGroup(workerThreads, new DefaultThreadFactory("comet-io", true),
                factory());
    }

    private IoHandlerFactory factory() {
        return epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    String name() {
        return epoll ? "epoll" : "nio";
    }

    EventLoopGroup boss() {
        return boss;
    }

    EventLoopGroup workers() {
        return workers;
    }

    Class<? extends ServerChannel> serverChannel() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    Class<? extends SocketChannel> socketChannel() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    @Override
    public void close() {
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        boss.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
