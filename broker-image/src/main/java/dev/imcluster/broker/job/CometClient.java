package dev.imcluster.broker.job;

import dev.imcluster.broker.api.internal.BroadcastReply;
import dev.imcluster.broker.api.internal.BroadcastReq;
import dev.imcluster.broker.api.internal.BroadcastRoomReply;
import dev.imcluster.broker.api.internal.PushMsgReply;
import dev.imcluster.broker.api.internal.BroadcastRoomReq;
import dev.imcluster.broker.api.internal.CometGrpc;
import dev.imcluster.broker.api.internal.PushMsgReq;
import dev.imcluster.broker.runtime.HostResolver;
import dev.imcluster.broker.runtime.PeerChannel;
import dev.imcluster.broker.security.InternalToken;
import dev.imcluster.broker.security.InternalTls;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One comet's internal gRPC, with a per-call deadline and what job knows about the comet's failures:
 * <ul>
 *   <li>Held: while its calls fail for less than {@code unreachableHold}, every call is made and a failure fails
 *       the message, so the queue redelivers it; the message ids it has not accepted are remembered
 *       ({@link #undelivered}), to be counted as lost if discovery drops the comet.</li>
 *   <li>Given up: once its calls failed for {@code unreachableHold} in a row, calls are skipped (the caller counts
 *       the skip), except one probe per {@code probeEvery} (see {@link #admit()}); a success ends it.</li>
 *   <li>Gone: discovery dropped it ({@link #markGone()}); calls still in flight no longer hold their messages.</li>
 * </ul>
 */
final class CometClient implements AutoCloseable {

    private final String address;
    private final PeerChannel channel;
    private final CometGrpc.CometStub stub;
    private final Duration deadline;
    private final long holdNanos;
    private final long probeEveryNanos;
    /** Whether the last call failed (not refused), and since when (System.nanoTime()) calls have failed. */
    private boolean failing;
    private long failingSince;
    private long nextProbe;
    private volatile boolean gone;
    /**
     * Message ids whose last call to this comet failed and was not skipped: held for redelivery. Bounded by the
     * messages job holds unacknowledged ({@code mq.maxInFlight}).
     */
    private final Set<String> undelivered = ConcurrentHashMap.newKeySet();

    CometClient(String address, Duration deadline, Duration unreachableHold, Duration probeEvery,
                InternalToken token, InternalTls tls, HostResolver resolver) {
        this.address = address;
        // A static address may be a name: follow it when the comet behind it is replaced (probeEvery is
        // job.comets.refreshInterval, the same "how often" as discovery).
        // comet's certificate names the cluster, not the pod address dialed: see security.internalTls.serverName.
        this.channel = new PeerChannel(InternalTls.secure(NettyChannelBuilder.forTarget(address), tls)
                .intercept(InternalToken.interceptors(token)), probeEvery, resolver);
        this.stub = CometGrpc.newStub(channel.channel());
        this.deadline = deadline;
        this.holdNanos = unreachableHold.toNanos();
        this.probeEveryNanos = probeEvery.toNanos();
    }

    String address() {
        return address;
    }

    /** Whether a call goes to this comet: normally, as the one probe of a comet given up, or not at all. */
    enum Admission { CALL, PROBE, SKIP }

    /**
     * A comet failing for less than the hold gets every call. After that, one call per {@code probeEvery} is let
     * through as a probe and the others skip until it answers: letting every caller through would hold all their
     * messages again, so that under load a dead comet could hold the others back for good.
     */
    synchronized Admission admit() {
        long now = System.nanoTime();
        if (!failing || now - failingSince < holdNanos) {
            return Admission.CALL;
        }
        if (now - nextProbe < 0) {
            return Admission.SKIP;
        }
        nextProbe = now + probeEveryNanos;
        return Admission.PROBE;
    }

    CompletableFuture<Void> pushMsg(PushMsgReq req) {
        return this.<PushMsgReply>call(observer -> stub().pushMsg(req, observer));
    }

    CompletableFuture<Void> broadcast(BroadcastReq req) {
        return this.<BroadcastReply>call(observer -> stub().broadcast(req, observer));
    }

    CompletableFuture<Void> broadcastRoom(BroadcastRoomReq req) {
        return this.<BroadcastRoomReply>call(observer -> stub().broadcastRoom(req, observer));
    }

    private CometGrpc.CometStub stub() {
        return stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
    }

    private <R> CompletableFuture<Void> call(Consumer<StreamObserver<R>> invoke) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        invoke.accept(new StreamObserver<>() {
            @Override
            public void onNext(R value) {
            }

            @Override
            public void onError(Throwable t) {
                if (!refused(t)) {
                    failed();
                } else {
                    // A channel in reconnect backoff fails calls at once with its last refusal, seconds after a
                    // restarted comet took clients again (whose messages would then be skipped): the next call
                    // connects anew instead.
                    channel.channel().resetConnectBackoff();
                }
                result.completeExceptionally(new CometCallException(address, t));
            }

            @Override
            public void onCompleted() {
                succeeded();
                result.complete(null);
            }
        });
        return result;
    }

    private synchronized void succeeded() {
        failing = false;
    }

    private synchronized void failed() {
        if (!failing) {
            failing = true;
            failingSince = System.nanoTime();
        }
    }

    /** The call carrying {@code msgIds} was accepted (or their loss counted): nothing of theirs is held here. */
    void settled(List<String> msgIds) {
        msgIds.forEach(undelivered::remove);
    }

    /** The call carrying {@code msgIds} failed while this comet is known: they are held for redelivery. */
    void held(List<String> msgIds) {
        undelivered.addAll(msgIds);
    }

    /**
     * Discovery dropped this comet: returns how many held messages it will never get. Calls still in flight end
     * in {@link #lostAfterGone}.
     */
    int markGone() {
        gone = true;
        return undelivered.size();
    }

    boolean gone() {
        return gone;
    }

    /** Of a call that failed after the comet was dropped: how many of its messages were not counted yet. */
    int lostAfterGone(List<String> msgIds) {
        int fresh = 0;
        for (String id : msgIds) {
            if (undelivered.add(id)) {
                fresh++;
            }
        }
        return fresh;
    }

    /**
     * The comet's internal gRPC refused the connection: the process is not serving, so it holds no client (a
     * comet opens its client listeners after its internal gRPC and closes them before it). A connect timeout or an
     * unreachable host (netty's native transport reports every failed connect as a ConnectException) is not a
     * refusal: a comet behind a broken link may still hold clients.
     */
    static boolean refused(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ConnectException && !(t instanceof io.netty.channel.ConnectTimeoutException)
                    && t.getMessage() != null && t.getMessage().contains("Connection refused")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        channel.close();
    }

    /** A failed call to one comet; the message names the comet. */
    static final class CometCallException extends RuntimeException {
        CometCallException(String address, Throwable cause) {
            super("comet " + address + ": " + cause.getMessage(), cause);
        }
    }
}
