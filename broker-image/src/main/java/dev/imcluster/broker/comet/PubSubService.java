package dev.imcluster.broker.comet;

import dev.imcluster.broker.api.pubsub.PresenceRequest;
import dev.imcluster.broker.api.pubsub.PresenceResponse;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.api.pubsub.HistoryRequest;
import dev.imcluster.broker.api.pubsub.HistoryResponse;
import dev.imcluster.broker.api.pubsub.PublishResponse;
import dev.imcluster.broker.security.BearerAuth;
import dev.imcluster.broker.security.Permissions;
import io.grpc.BindableService;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The public topic API on comet: Subscribe joins the room named by the topic (after replaying what was missed,
 * when asked to recover); Publish, History and Presence are forwarded to logic, so a client needs this one address.
 */
final class PubSubService implements PubSubServiceGrpc.AsyncService, BindableService {
    /**
     * Subscribe with responses that are already serialized SubscribeResponse bytes: a room message is encoded
     * once for all its subscribers, not once per stream. Same method name and wire format as the generated one.
     */
    static final MethodDescriptor<SubscribeRequest, byte[]> SUBSCRIBE_ENCODED = PubSubServiceGrpc.getSubscribeMethod()
            .toBuilder(ProtoUtils.marshaller(SubscribeRequest.getDefaultInstance()), new Encoded()).build();

    private final CometContext comet;
    private final Set<TopicSubscriber> active = ConcurrentHashMap.newKeySet();

    PubSubService(CometContext comet) {
        this.comet = comet;
    }

    /** The generated service with Subscribe bound to {@link #SUBSCRIBE_ENCODED}; the others as generated. */
    @Override
    public ServerServiceDefinition bindService() {
        ServerServiceDefinition generated = PubSubServiceGrpc.bindService(this);
        ServiceDescriptor service = generated.getServiceDescriptor();
        ServerMethodDefinition<?, ?> publish =
                generated.getMethod(PubSubServiceGrpc.getPublishMethod().getFullMethodName());
        ServerMethodDefinition<?, ?> history =
                generated.getMethod(PubSubServiceGrpc.getHistoryMethod().getFullMethodName());
        ServerMethodDefinition<?, ?> presence =
                generated.getMethod(PubSubServiceGrpc.getPresenceMethod().getFullMethodName());
        ServiceDescriptor encoded = ServiceDescriptor.newBuilder(service.getName())
                .setSchemaDescriptor(service.getSchemaDescriptor())
                .addMethod(SUBSCRIBE_ENCODED)
                .addMethod(publish.getMethodDescriptor())
                .addMethod(history.getMethodDescriptor())
                .addMethod(presence.getMethodDescriptor())
                .build();
        return ServerServiceDefinition.builder(encoded)
                .addMethod(SUBSCRIBE_ENCODED, ServerCalls.asyncServerStreamingCall(this::subscribeEncoded))
                .addMethod(publish)
                .addMethod(history)
                .addMethod(presence)
                .build();
    }

    private void subscribeEncoded(SubscribeRequest req, StreamObserver<byte[]> response) {
        if (req.getTopic().isEmpty()) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("topic must be set").asRuntimeException());
            return;
        }
        if (denied(Permissions.Action.SUBSCRIBE, req.getTopic(), response)) {
            return;
        }
        if (comet.shuttingDown()) {
            response.onError(Status.UNAVAILABLE.withDescription("comet is shutting down; subscribe again")
                    .asRuntimeException());
            return;
        }
        if (comet.atConnectionLimit()) {
            comet.metrics.disconnect("max_connections");
            comet.limitLog.warn("refused a gRPC subscriber: comet.maxConnections ({}) reached",
                    comet.config.maxConnections);
            response.onError(Status.RESOURCE_EXHAUSTED.withDescription("comet.maxConnections reached")
                    .asRuntimeException());
            return;
        }
        String key = UUID.randomUUID().toString();
        TopicSubscriber subscriber = new TopicSubscriber(comet, req.getTopic(), key, comet.buckets.forKey(key),
                req.getPresenceEvents(), req.getMaxBatch(), (ServerCallStreamObserver<byte[]>) response, active);
        if (req.getRecover() && req.hasSince()) {
            subscriber.startRecovering(req.getSince(), BearerAuth.AUTHORIZATION.get());
        } else {
            subscriber.start();
        }
    }

    @Override
    public void history(HistoryRequest req, StreamObserver<HistoryResponse> response) {
        if (req.getTopic().isEmpty()) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("topic must be set").asRuntimeException());
            return;
        }
        if (denied(Permissions.Action.HISTORY, req.getTopic(), response)) {
            return;
        }
        comet.logic.history(req, BearerAuth.AUTHORIZATION.get(), response);
    }

    @Override
    public void presence(PresenceRequest req, StreamObserver<PresenceResponse> response) {
        if (req.getTopic().isEmpty()) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("topic must be set").asRuntimeException());
            return;
        }
        if (denied(Permissions.Action.PRESENCE, req.getTopic(), response)) {
            return;
        }
        comet.logic.presence(req, BearerAuth.AUTHORIZATION.get(), response);
    }

    @Override
    public void publish(PublishRequest req, StreamObserver<PublishResponse> response) {
        if (req.getTopic().isEmpty()) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("topic must be set").asRuntimeException());
            return;
        }
        comet.metrics.inPublish.increment();
        if (denied(Permissions.Action.PUBLISH, req.getTopic(), response)) {
            return;
        }
        // Keyed by the peer's address and port, that is by HTTP/2 connection.
        java.net.SocketAddress remote = SourceAddressGate.REMOTE.get();
        String refusal = comet.limits.tryPublish(String.valueOf(remote), remote);
        if (refusal != null) {
            comet.limitLog.warn("refused a gRPC Publish from {}: {}", remote, refusal);
            response.onError(Status.RESOURCE_EXHAUSTED.withDescription("publish rate limit exceeded ("
                    + (SourceAddressLimits.CONNECTION_RATE_LIMITED.equals(refusal) ? "comet.publishRateLimit"
                    : "comet.publishRateLimitPerAddress") + "); slow down").asRuntimeException());
            return;
        }
        comet.logic.publish(req, BearerAuth.AUTHORIZATION.get(), response);
    }

    /** Ends the call with PERMISSION_DENIED when the caller's token does not permit this (counted, logged). */
    private boolean denied(Permissions.Action action, String topic, StreamObserver<?> response) {
        StatusRuntimeException refusal = comet.metrics.permissions.checkCall(action, topic);
        if (refusal != null) {
            response.onError(refusal);
        }
        return refusal != null;
    }

    /** Passes serialized messages through. */
    private static final class Encoded implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new Drained(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /**
     * Known length and drained straight into gRPC's framer: a plain stream would be copied through a fresh 8 KB
     * buffer per message per subscriber (measured: half the throughput of generated marshalling).
     */
    private static final class Drained extends ByteArrayInputStream implements Drainable, KnownLength {
        Drained(byte[] bytes) {
            super(bytes);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }

    /** Ends every open subscription (shutdown): clients subscribe again, elsewhere. */
    void endAll(Status status) {
        for (TopicSubscriber s : active) {
            s.end(status);
        }
    }
}
