package dev.imcluster.broker.comet;

import dev.imcluster.broker.api.internal.ConnectReply;
import dev.imcluster.broker.api.internal.ConnectReq;
import dev.imcluster.broker.api.internal.DisconnectReply;
import dev.imcluster.broker.api.internal.DisconnectReq;
import dev.imcluster.broker.api.internal.HeartbeatReply;
import dev.imcluster.broker.api.internal.HeartbeatReq;
import dev.imcluster.broker.api.internal.LogicGrpc;
import dev.imcluster.broker.api.internal.OnlineReply;
import dev.imcluster.broker.api.internal.OnlineReq;
import dev.imcluster.broker.api.internal.PresenceChange;
import dev.imcluster.broker.api.internal.PresenceChangeReply;
import dev.imcluster.broker.api.internal.ReceiveReply;
import dev.imcluster.broker.api.internal.ReceiveReq;
import dev.imcluster.broker.api.pubsub.PresenceRequest;
import dev.imcluster.broker.api.pubsub.PresenceResponse;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.HistoryRequest;
import dev.imcluster.broker.api.pubsub.HistoryResponse;
import dev.imcluster.broker.api.pubsub.PublishResponse;
import io.grpc.ConnectivityState;
import dev.imcluster.broker.runtime.HostResolver;
import dev.imcluster.broker.runtime.PeerChannel;
import dev.imcluster.broker.security.Bearer;
import dev.imcluster.broker.security.InternalToken;
import dev.imcluster.broker.security.InternalTls;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** comet's client of logic's gRPC endpoint: the Logic service, and PubSubService.Publish, History and Presence for forwarding. */
final class LogicClient implements AutoCloseable {
    private static final long CALL_TIMEOUT_MS = 10_000;

    private final PeerChannel peer;
    private final ManagedChannel channel;
    private final LogicGrpc.LogicStub logic;
    private final PubSubServiceGrpc.PubSubServiceStub pubsub;
    private final long connectTimeoutMs;

    private final boolean internalToken;

    /**
     * With {@code token}, every call carries the internal token (logic's Logic service requires it); with {@code
     * tls}, the channel is mutual TLS (plaintext when null).
     */
    LogicClient(String target, Transports transports, Duration connectTimeout, InternalToken token,
                InternalTls tls, Duration resolveInterval, HostResolver resolver) {
        // Follows the name within seconds when logic is replaced (see PeerChannel).
        this.peer = new PeerChannel(InternalTls.secure(NettyChannelBuilder.forTarget(target), tls)
                // History replies for recovery hold up to delivery.history size messages: past gRPC's 4 MB default.
                .maxInboundMessageSize(256 << 20)
                .eventLoopGroup(transports.workers())
                .channelType(transports.socketChannel())
                .intercept(InternalToken.interceptors(token)), resolveInterval, resolver);
        this.channel = peer.channel();
        this.internalToken = token != null;
        this.logic = LogicGrpc.newStub(channel);
        this.pubsub = PubSubServiceGrpc.newStub(channel);
        this.connectTimeoutMs = connectTimeout.toMillis();
        channel.getState(true); // connect now, so the first client's Auth does not pay for it
    }

    CompletableFuture<ConnectReply> connect(ConnectReq req) {
        return call(o -> logic.withDeadlineAfter(connectTimeoutMs, TimeUnit.MILLISECONDS).connect(req, o));
    }

    CompletableFuture<DisconnectReply> disconnect(DisconnectReq req) {
        return call(o -> logic.withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).disconnect(req, o));
    }

    CompletableFuture<HeartbeatReply> heartbeat(HeartbeatReq req) {
        return call(o -> logic.withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).heartbeat(req, o));
    }

    CompletableFuture<OnlineReply> renewOnline(OnlineReq req) {
        return call(o -> logic.withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).renewOnline(req, o));
    }

    CompletableFuture<PresenceChangeReply> presenceChanged(PresenceChange req) {
        return call(o -> logic.withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).presenceChanged(req, o));
    }

    CompletableFuture<ReceiveReply> receive(ReceiveReq req) {
        return call(o -> logic.withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS).receive(req, o));
    }

    /**
     * Forwards a client's Publish. With an internal token, logic trusts comet (which checked the client); without
     * one, the client's own bearer token (if any) is passed on for logic to check.
     */
    void publish(PublishRequest req, String clientAuthorization, StreamObserver<PublishResponse> response) {
        pubsub(clientAuthorization).publish(req, response);
    }

    /** A client's History, or comet's read for a client's recovery; authorized as {@link #publish} is. */
    void history(HistoryRequest req, String clientAuthorization, StreamObserver<HistoryResponse> response) {
        pubsub(clientAuthorization).history(req, response);
    }

    /** A client's Presence; authorized as {@link #publish} is. */
    void presence(PresenceRequest req, String clientAuthorization, StreamObserver<PresenceResponse> response) {
        pubsub(clientAuthorization).presence(req, response);
    }

    CompletableFuture<HistoryResponse> history(HistoryRequest req, String clientAuthorization) {
        return call(o -> history(req, clientAuthorization, o));
    }

    private PubSubServiceGrpc.PubSubServiceStub pubsub(String clientAuthorization) {
        PubSubServiceGrpc.PubSubServiceStub stub = pubsub.withDeadlineAfter(CALL_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        if (!internalToken && clientAuthorization != null) {
            Metadata headers = new Metadata();
            headers.put(Bearer.AUTHORIZATION, clientAuthorization);
            stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        return stub;
    }

    /** Not ready only while the channel is known to be failing; an idle channel connects on first use. */
    boolean failing() {
        return channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE;
    }

    @Override
    public void close() {
        peer.close();
    }

    private static <T> CompletableFuture<T> call(Consumer<StreamObserver<T>> invocation) {
        CompletableFuture<T> future = new CompletableFuture<>();
        invocation.accept(new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                future.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                future.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                future.complete(null);
            }
        });
        return future;
    }
}
