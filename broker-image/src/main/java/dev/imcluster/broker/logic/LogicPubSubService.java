package dev.imcluster.broker.logic;

import dev.imcluster.broker.api.pubsub.HistoryRequest;
import dev.imcluster.broker.api.pubsub.HistoryResponse;
import dev.imcluster.broker.api.pubsub.PresenceRequest;
import dev.imcluster.broker.api.pubsub.PresenceResponse;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.PublishResponse;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import dev.imcluster.broker.history.TopicHistory;
import dev.imcluster.broker.mq.BusUnavailableException;
import dev.imcluster.broker.security.BearerAuth;
import dev.imcluster.broker.security.PermissionGate;
import dev.imcluster.broker.security.Permissions;
import dev.imcluster.broker.security.RateLimiter;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletionException;

/**
 * The public topic API on logic, for services that only publish: a topic is a room, so Publish becomes a ROOM
 * envelope with room = topic and operation = {@code logic.topicOperation}, answered with the id and position the
 * queue gave it. History reads the room's retained messages, Presence its members. Subscribe is comet's.
 */
final class LogicPubSubService extends PubSubServiceGrpc.PubSubServiceImplBase {

    private final PushService push;
    private final TopicHistory history;
    private final PresenceService presence;
    private final IdempotentPublishes idempotent;
    private final int topicOperation;
    private final int maxMessageSize;

    private final RateLimiter limiter;
    /** Callers with a client JWT: its permissions (internal-token callers are comets, which checked already). */
    private final PermissionGate permissions;

    LogicPubSubService(PushService push, TopicHistory history, PresenceService presence, IdempotentPublishes idempotent, int topicOperation,
                       int maxMessageSize, RateLimiter limiter, PermissionGate permissions) {
        this.permissions = permissions;
        this.push = push;
        this.history = history;
        this.presence = presence;
        this.idempotent = idempotent;
        this.limiter = limiter;
        this.topicOperation = topicOperation;
        this.maxMessageSize = maxMessageSize;
    }

    @Override
    public void publish(PublishRequest request, StreamObserver<PublishResponse> out) {
        if (request.getTopic().isEmpty()) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("topic must not be empty").asRuntimeException());
            return;
        }
        if (request.getPayload().size() > maxMessageSize) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("payload of " + request.getPayload().size()
                    + " bytes is over logic.maxMessageSize (" + maxMessageSize + ")").asRuntimeException());
            return;
        }
        // Internal-token callers are comets forwarding their clients' publishes, already limited there per client.
        String caller = BearerAuth.CALLER.get();
        if (caller != null && !"internal".equals(caller) && !limiter.tryAcquire(caller)) {
            out.onError(Status.RESOURCE_EXHAUSTED.withDescription("publish rate limit exceeded (logic.pushRateLimit);"
                    + " slow down").asRuntimeException());
            return;
        }
        if (denied(Permissions.Action.PUBLISH, request.getTopic(), out)) {
            return;
        }
        idempotent.publish(request.getTopic(), request.getIdempotencyKey(), () -> push.pushRoom(topicOperation,
                        request.getTopic(), request.getPayload().toByteArray(), request.getHeadersMap()))
                .whenComplete((accepted, error) -> {
                    if (error == null) {
                        out.onNext(PublishResponse.newBuilder().setId(accepted.id())
                                .setOffset(accepted.position().offset()).setEpoch(accepted.position().epoch())
                                .build());
                        out.onCompleted();
                        return;
                    }
                    Throwable cause = unwrap(error);
                    String why = cause instanceof BusUnavailableException ? "queue unavailable, message not accepted: "
                            : "publish failed, message not accepted: ";
                    out.onError(Status.UNAVAILABLE.withDescription(why + cause.getMessage()).asRuntimeException());
                });
    }

    @Override
    public void history(HistoryRequest request, StreamObserver<HistoryResponse> out) {
        if (request.getTopic().isEmpty()) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("topic must not be empty").asRuntimeException());
            return;
        }
        if (denied(Permissions.Action.HISTORY, request.getTopic(), out)) {
            return;
        }
        history.read(request).whenComplete((response, error) -> {
            if (error != null) {
                out.onError(Status.UNAVAILABLE.withDescription("history unavailable: " + unwrap(error).getMessage())
                        .asRuntimeException());
            } else {
                out.onNext(response);
                out.onCompleted();
            }
        });
    }

    @Override
    public void presence(PresenceRequest request, StreamObserver<PresenceResponse> out) {
        if (request.getTopic().isEmpty()) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("topic must not be empty").asRuntimeException());
            return;
        }
        if (denied(Permissions.Action.PRESENCE, request.getTopic(), out)) {
            return;
        }
        presence.read(request.getTopic()).whenComplete((response, error) -> {
            if (error != null) {
                out.onError(Status.UNAVAILABLE.withDescription("presence unavailable: " + unwrap(error).getMessage())
                        .asRuntimeException());
            } else {
                out.onNext(response);
                out.onCompleted();
            }
        });
    }

    @Override
    public void subscribe(SubscribeRequest request, StreamObserver<SubscribeResponse> out) {
        out.onError(Status.UNIMPLEMENTED.withDescription("Subscribe is served by comet (its pubsubGrpc port, default"
                + " 3100), not by logic; logic accepts Publish, History and Presence").asRuntimeException());
    }

    /** Ends the call with PERMISSION_DENIED when the caller's token does not permit this (counted, logged). */
    private boolean denied(Permissions.Action action, String topic, StreamObserver<?> out) {
        StatusRuntimeException refusal = permissions.checkCall(action, topic);
        if (refusal != null) {
            out.onError(refusal);
        }
        return refusal != null;
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }
}
