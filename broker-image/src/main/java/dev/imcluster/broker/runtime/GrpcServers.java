package dev.imcluster.broker.runtime;

import io.grpc.ServerServiceDefinition;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A gRPC server with grpc.health.v1 and server reflection beside the role's services, over TLS if given. */
public final class GrpcServers {

    /** A running server and its health service (SERVING for "" and every service once started). */
    public record Running(Server server, HealthStatusManager health) implements AutoCloseable {
        public int port() {
            return server.getPort();
        }

        /** Reports NOT_SERVING, then stops, waiting up to {@code graceSeconds} for calls in flight. */
        @Override
        public void close() {
            health.enterTerminalState();
            server.shutdown();
            try {
                if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                    server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                server.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    private GrpcServers() {
    }

    /**
     * Lets the internal clients ping as often as {@link PeerChannel#KEEPALIVE}, idle or not: the default (one ping
     * per 5 minutes) would answer their pings with GOAWAY ("too_many_pings").
     */
    public static NettyServerBuilder permitPeerKeepAlive(NettyServerBuilder builder) {
        return builder.permitKeepAliveTime(PeerChannel.KEEPALIVE.toMillis(), TimeUnit.MILLISECONDS)
                .permitKeepAliveWithoutCalls(true);
    }

    public static Running start(String bindAddress, int port, int maxInboundMessageSize,
                                List<ServerServiceDefinition> services, SslContext tls)
            throws IOException {
        HealthStatusManager health = new HealthStatusManager();
        NettyServerBuilder builder = permitPeerKeepAlive(
                NettyServerBuilder.forAddress(new InetSocketAddress(bindAddress, port)))
                .maxInboundMessageSize(maxInboundMessageSize)
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance());
        services.forEach(builder::addService);
        if (tls != null) {
            builder.sslContext(tls);
        }
        Server server = builder.build().start();
        health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
        for (ServerServiceDefinition s : services) {
            health.setStatus(s.getServiceDescriptor().getName(),
                    io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
        }
        return new Running(server, health);
    }
}
