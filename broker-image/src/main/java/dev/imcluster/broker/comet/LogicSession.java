package dev.imcluster.broker.comet;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.ConnectReply;
import dev.imcluster.broker.api.internal.ConnectReq;
import dev.imcluster.broker.api.internal.DisconnectReq;
import dev.imcluster.broker.api.internal.HeartbeatReq;
import dev.imcluster.broker.api.internal.ReceiveReply;
import dev.imcluster.broker.api.internal.ReceiveReq;
import dev.imcluster.broker.api.protocol.Proto;
import dev.imcluster.broker.protocol.Frame;
import io.grpc.Status;
import java.net.SocketAddress;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One connection's session as logic knows it, and comet's calls to logic for it (goim's comet-to-logic API):
 * Connect authenticates the Auth body and names the user (mid and key), Heartbeat renews the session at most once
 * per renew interval (a random point between comet's bounds, so that a comet's sessions spread out), Receive
 * carries an upstream message, Disconnect ends the session. Event loop only.
 */
final class LogicSession {
    private final CometContext comet;
    private long mid;
    private String key;
    private long nextRenewNanos;

    LogicSession(CometContext comet) {
        this.comet = comet;
    }

    long mid() {
        return mid;
    }

    /** The session key: null until logic's Connect reply. */
    String key() {
        return key;
    }

    /** Asks logic to authenticate the Auth frame's body (the token). */
    CompletableFuture<ConnectReply> connect(String cookie, Frame auth, SocketAddress remote) {
        return connect(cookie, ByteString.copyFrom(auth.body().nioBuffer()), remote);
    }

    /** Asks logic to authenticate an Auth body: goim's Auth frame's, or the one an MQTT CONNECT stands for. */
    CompletableFuture<ConnectReply> connect(String cookie, ByteString authBody, SocketAddress remote) {
        ConnectReq req = ConnectReq.newBuilder()
                .setServer(comet.serverId)
                .setCookie(cookie)
                .setToken(authBody)
                .setRemoteAddr(String.valueOf(remote))
                .build();
        return comet.logic.connect(req);
    }

    /** Takes the user from logic's Connect reply; a key logic left empty is generated. */
    void connected(ConnectReply reply) {
        mid = reply.getMid();
        key = reply.getKey().isEmpty() ? UUID.randomUUID().toString() : reply.getKey();
    }

    /** The first renewal is due one renew interval after {@code now} (when the session became authenticated). */
    void renewFrom(long now) {
        nextRenewNanos = now + renewInterval();
    }

    private long renewInterval() {
        return comet.renewMinNanos == comet.renewMaxNanos ? comet.renewMinNanos
                : ThreadLocalRandom.current().nextLong(comet.renewMinNanos, comet.renewMaxNanos + 1);
    }

    /** On a client heartbeat: renews the session at logic when the renew interval has passed. */
    void renewIfDue() {
        long now = System.nanoTime();
        if (now - nextRenewNanos < 0) {
            return;
        }
        nextRenewNanos = now + renewInterval();
        comet.logic.heartbeat(HeartbeatReq.newBuilder().setMid(mid).setKey(key).setServer(comet.serverId).build())
                .whenComplete((r, err) -> {
                    if (err != null) {
                        comet.metrics.logicError("heartbeat");
                        comet.logicLog.warn("logic Heartbeat failed for key {}: {}", key, describe(err));
                    }
                });
    }

    /** Hands an upstream frame to logic's Receive. */
    CompletableFuture<ReceiveReply> receive(Frame frame) {
        ReceiveReq req = ReceiveReq.newBuilder()
                .setMid(mid)
                .setKey(key)
                .setProto(Proto.newBuilder().setVer(frame.ver()).setOp(frame.op()).setSeq(frame.seq())
                        .setBody(ByteString.copyFrom(frame.body().nioBuffer())))
                .build();
        return comet.logic.receive(req);
    }

    /** Ends the session at logic; comet's shutdown waits for these calls ({@code pendingDisconnects}). */
    void disconnect() {
        comet.pendingDisconnects.incrementAndGet();
        comet.logic.disconnect(DisconnectReq.newBuilder().setMid(mid).setKey(key).setServer(comet.serverId).build())
                .whenComplete((r, err) -> {
                    comet.pendingDisconnects.decrementAndGet();
                    if (err != null) {
                        comet.metrics.logicError("disconnect");
                        comet.logicLog.warn("logic Disconnect failed for key {}: {}", key, describe(err));
                    }
                });
    }

    /** A failed Connect as the reason label of imcluster_comet_auth_failures_total: its gRPC status code. */
    static String failureReason(Throwable err) {
        return Status.fromThrowable(err).getCode().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** A failed logic call for a log line: its gRPC status code and description. */
    static String describe(Throwable err) {
        Status status = Status.fromThrowable(err);
        return status.getDescription() == null ? status.getCode().name()
                : status.getCode() + " (" + status.getDescription() + ")";
    }
}
