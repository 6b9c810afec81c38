package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Attributes;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TransportLoopTest {
    private static final MethodDescriptor<String, String> ECHO = MethodDescriptor.<String, String>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("test.Loop/Which")
            .setRequestMarshaller(new Utf8())
            .setResponseMarshaller(new Utf8())
            .build();

    private final EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final List<EventLoop> seen = new ArrayList<>();
    private Server server;
    private final List<ManagedChannel> channels = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        channels.forEach(ManagedChannel::shutdownNow);
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void everyCallFindsTheEventLoopOfItsConnection() throws Exception {
        TransportLoop loop = new TransportLoop(workers);
        ServerServiceDefinition service = ServerServiceDefinition.builder("test.Loop")
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((req, response) -> {
                    synchronized (seen) {
                        seen.add(TransportLoop.CURRENT.get());
                    }
                    response.onNext(req);
                    response.onCompleted();
                }))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .bossEventLoopGroup(workers)
                .workerEventLoopGroup(workers)
                .channelType(NioServerSocketChannel.class)
                .addService(ServerInterceptors.intercept(service, loop))
                .addTransportFilter(loop)
                .build().start();
        // Connections are spread over both loops; each connection keeps its own.
        for (int c = 0; c < 4; c++) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
                    .usePlaintext().build();
            channels.add(channel);
            for (int i = 0; i < 3; i++) {
                ClientCalls.blockingUnaryCall(channel, ECHO, io.grpc.CallOptions.DEFAULT, "x");
            }
        }
        assertThat(seen).hasSize(12).doesNotContainNull();
        List<EventLoop> all = new ArrayList<>();
        workers.forEach(e -> all.add((EventLoop) e));
        assertThat(all).containsAll(seen);
        for (int c = 0; c < 4; c++) {
            assertThat(seen.subList(3 * c, 3 * c + 3)).as("connection %d", c).containsOnly(seen.get(3 * c));
        }
    }

    @Test
    void aTransportReadyOffTheLoopsKeepsItsAttributes() {
        Attributes attributes = Attributes.newBuilder().build();
        assertThat(new TransportLoop(workers).transportReady(attributes)).isSameAs(attributes);
        assertThat(TransportLoop.current(workers)).isNull();
    }

    @Test
    void onALoopThreadThatLoopIsCurrent() throws Exception {
        EventLoop first = workers.next();
        assertThat(first.submit(() -> TransportLoop.current(workers)).get(5, TimeUnit.SECONDS)).isSameAs(first);
    }

    private static final class Utf8 implements MethodDescriptor.Marshaller<String> {
        @Override
        public InputStream stream(String value) {
            return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
            try {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
