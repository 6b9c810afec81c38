package dev.imcluster.broker.logic;

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
import dev.imcluster.broker.api.internal.TopicPermissions;
import dev.imcluster.broker.security.AuthException;
import dev.imcluster.broker.logic.auth.Authenticator;
import dev.imcluster.broker.logic.auth.Identity;
import dev.imcluster.broker.logging.RateLimitedLog;
import dev.imcluster.broker.session.SessionStore;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** logic's internal gRPC for comets (goim api/logic): sessions, heartbeats, online counts, upstream messages. */
final class LogicGrpcService extends LogicGrpc.LogicImplBase {

    private static final Logger log = LoggerFactory.getLogger(LogicGrpcService.class);

    private final Authenticator authenticator;
    private final SessionStore sessions;
    private final OnlineService online;
    private final PresenceService presence;
    private final long heartbeatSeconds;
    private final Counter connects;
    private final Counter refused;
    private final Counter received;
    private final RateLimitedLog refusedLog = new RateLimitedLog(log, 10, java.util.concurrent.TimeUnit.SECONDS);
    private final RateLimitedLog storeLog = new RateLimitedLog(log, 10, java.util.concurrent.TimeUnit.SECONDS);

    LogicGrpcService(Authenticator authenticator, SessionStore sessions, OnlineService online,
                     PresenceService presence, Duration clientHeartbeat, MeterRegistry meters) {
        this.authenticator = authenticator;
        this.sessions = sessions;
        this.online = online;
        this.presence = presence;
        this.heartbeatSeconds = clientHeartbeat.toSeconds();
        this.connects = Counter.builder("imcluster_logic_connects").description("Sessions authenticated and recorded")
                .register(meters);
        this.refused = Counter.builder("imcluster_logic_auth_refused").description("Auth attempts refused")
                .register(meters);
        this.received = Counter.builder("imcluster_logic_received")
                .description("Upstream client messages (Receive)").register(meters);
    }

    @Override
    public void connect(ConnectReq request, StreamObserver<ConnectReply> out) {
        Identity id;
        try {
            id = authenticator.authenticate(request.getToken().toByteArray());
        } catch (AuthException e) {
            refused.increment();
            refusedLog.warn("auth refused from " + request.getRemoteAddr() + " via " + request.getServer() + ": "
                    + e.getMessage());
            out.onError(Status.UNAUTHENTICATED.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        reply(out, sessions.addMapping(id.mid(), id.key(), request.getServer()), v -> {
            connects.increment();
            ConnectReply.Builder reply = ConnectReply.newBuilder().setMid(id.mid()).setKey(id.key())
                    .setRoomId(id.roomId()).addAllAccepts(id.accepts()).setHeartbeat(heartbeatSeconds);
            if (!id.permissions().unrestricted()) {
                reply.setPermissions(TopicPermissions.newBuilder()
                        .addAllSubscribe(id.permissions().subscribePatterns())
                        .addAllPublish(id.permissions().publishPatterns()));
            }
            return reply.build();
        });
    }

    @Override
    public void disconnect(DisconnectReq request, StreamObserver<DisconnectReply> out) {
        reply(out, sessions.delMapping(request.getMid(), request.getKey(), request.getServer()),
                has -> DisconnectReply.newBuilder().setHas(has).build());
    }

    @Override
    public void heartbeat(HeartbeatReq request, StreamObserver<HeartbeatReply> out) {
        // goim: renew the TTL; if the entries had expired, write them again.
        CompletableFuture<Void> renewed = sessions.expireMapping(request.getMid(), request.getKey(), request.getServer())
                .thenCompose(has -> has ? CompletableFuture.completedFuture(null)
                        : sessions.addMapping(request.getMid(), request.getKey(), request.getServer()));
        reply(out, renewed, v -> HeartbeatReply.getDefaultInstance());
    }

    @Override
    public void renewOnline(OnlineReq request, StreamObserver<OnlineReply> out) {
        reply(out, presence.report(request).thenCompose(v -> online.renew(request.getServer(),
                        request.getRoomCountMap())),
                all -> OnlineReply.newBuilder().putAllAllRoomCount(all).build());
    }

    @Override
    public void presenceChanged(PresenceChange request, StreamObserver<PresenceChangeReply> out) {
        // Not reply(): the store write or the event's publish may fail, and the error says which (see changed).
        presence.changed(request).whenComplete((v, error) -> {
            if (error == null) {
                out.onNext(PresenceChangeReply.getDefaultInstance());
                out.onCompleted();
            } else {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                storeLog.warn("presence change in room " + request.getRoom() + " failed: " + cause.getMessage());
                out.onError(Status.UNAVAILABLE.withDescription(cause.getMessage()).withCause(cause)
                        .asRuntimeException());
            }
        });
    }

    @Override
    public void receive(ReceiveReq request, StreamObserver<ReceiveReply> out) {
        received.increment();
        if (log.isDebugEnabled()) {
            log.debug("upstream message: mid={} key={} op={} bytes={}", request.getMid(), request.getKey(),
                    request.getProto().getOp(), request.getProto().getBody().size());
        }
        out.onNext(ReceiveReply.getDefaultInstance());
        out.onCompleted();
    }

    private <T, R> void reply(StreamObserver<R> out, CompletableFuture<T> future, Function<T, R> map) {
        future.whenComplete((value, error) -> {
            if (error == null) {
                out.onNext(map.apply(value));
                out.onCompleted();
            } else {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                storeLog.warn("session store failed: " + cause);
                out.onError(Status.UNAVAILABLE.withDescription("session store unavailable: " + cause.getMessage())
                        .withCause(cause).asRuntimeException());
            }
        });
    }
}
