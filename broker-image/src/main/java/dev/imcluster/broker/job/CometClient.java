package dev.imcluster.broker.job;

import dev.imcluster.broker.api.internal.BroadcastReply;
import dev.imcluster.broker.api.internal.BroadcastReq;
import dev.imcluster.broker.api.internal.BroadcastRoomReply;
import dev.imcluster.broker.api.internal.PushMsgReply;
import dev.imcluster.broker.api.internal.BroadcastRoomReq;
import dev.imcluster.broker.api.internal.CometGrpc;
import dev.imcluster.broker.api.internal.PushMsgReq;
import dev.imcluster.broker.security.InternalToken;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One comet's internal gRPC, with a per-call deadline and a simple circuit: after {@link #FAILURES_TO_OPEN}
 * consecutive failed calls the comet counts as down for {@code openFor}, and callers skip it (see
 * {@link CometFanout}); one call after that window probes it again (see {@link #admit()}).
 */
final class CometClient implements AutoCloseable {

    static final int FAILURES_TO_OPEN = 3;

    private final String address;
    private final ManagedChannel channel;
    private final CometGrpc.CometStub stub;
    private final Duration deadline;
    private final long openForNanos;
    private int consecutiveFailures;
    private long openUntil;
    private boolean open;

    CometClient(String address, Duration deadline, Duration openFor, InternalToken token) {
        this.address = address;
        this.channel = ManagedChannelBuilder.forTarget(address).usePlaintext()
                .intercept(InternalToken.interceptors(token)).build();
        this.stub = CometGrpc.newStub(channel);
        this.deadline = deadline;
        this.openForNanos = openFor.toNanos();
    }

    String address() {
        return address;
    }

    /** Whether a call goes to this comet: normally, as the one probe of an open circuit, or not at all. */
    enum Admission { CALL, PROBE, SKIP }

    /**
     * While the circuit is open (the comet failed repeatedly) calls are skipped; once per {@code openFor} one call
     * is let through as a probe, and the others keep skipping until it answers (a success closes the circuit, a
     * failure keeps it open for another window). Letting every caller through at the end of the window instead
     * would fail all their messages again, so that under load a dead comet could hold the others back for good.
     */
    synchronized Admission admit() {
        if (!open) {
            return Admission.CALL;
        }
        long now = System.nanoTime();
        if (now - openUntil < 0) {
            return Admission.SKIP;
        }
        openUntil = now + openForNanos;
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
                failed();
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
        consecutiveFailures = 0;
        open = false;
    }

    private synchronized void failed() {
        if (++consecutiveFailures >= FAILURES_TO_OPEN) {
            open = true;
            openUntil = System.nanoTime() + openForNanos;
        }
    }

    @Override
    public void close() {
        channel.shutdown();
        try {
            if (!channel.awaitTermination(2, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** A failed call to one comet; the message names the comet. */
    static final class CometCallException extends RuntimeException {
        CometCallException(String address, Throwable cause) {
            super("comet " + address + ": " + cause.getMessage(), cause);
        }
    }
}
