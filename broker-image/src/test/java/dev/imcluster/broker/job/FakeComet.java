package dev.imcluster.broker.job;

import dev.imcluster.broker.api.internal.BroadcastReply;
import dev.imcluster.broker.api.internal.BroadcastReq;
import dev.imcluster.broker.api.internal.BroadcastRoomReply;
import dev.imcluster.broker.api.internal.BroadcastRoomReq;
import dev.imcluster.broker.api.internal.CometGrpc;
import dev.imcluster.broker.api.internal.PushMsgReply;
import dev.imcluster.broker.api.internal.PushMsgReq;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.runtime.GrpcServers;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A real gRPC server implementing comet's internal API that records what job sends (and can fail on demand). */
final class FakeComet extends CometGrpc.CometImplBase implements AutoCloseable {

    final List<PushMsgReq> pushes = new CopyOnWriteArrayList<>();
    final List<BroadcastReq> broadcasts = new CopyOnWriteArrayList<>();
    final List<BroadcastRoomReq> roomBatches = new CopyOnWriteArrayList<>();
    /** Calls left to refuse with UNAVAILABLE. */
    final AtomicInteger failNext = new AtomicInteger();
    /** While set, BroadcastRoom calls wait for it (a slow comet). */
    volatile java.util.concurrent.CountDownLatch gate;
    private final Server server;

    FakeComet(String host, int port) throws Exception {
        server = GrpcServers.permitPeerKeepAlive(NettyServerBuilder.forAddress(new InetSocketAddress(host, port)))
                .addService(this).build().start();
    }

    int port() {
        return server.getPort();
    }

    /** Room messages received, in order, across batches. */
    List<RoomMessage> roomMessages() {
        return roomBatches.stream().flatMap(b -> b.getMessagesList().stream()).toList();
    }

    private boolean fail(StreamObserver<?> out) {
        if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            out.onError(Status.UNAVAILABLE.withDescription("injected failure").asRuntimeException());
            return true;
        }
        return false;
    }

    @Override
    public void pushMsg(PushMsgReq request, StreamObserver<PushMsgReply> out) {
        if (!fail(out)) {
            pushes.add(request);
            out.onNext(PushMsgReply.getDefaultInstance());
            out.onCompleted();
        }
    }

    @Override
    public void broadcast(BroadcastReq request, StreamObserver<BroadcastReply> out) {
        if (!fail(out)) {
            broadcasts.add(request);
            out.onNext(BroadcastReply.getDefaultInstance());
            out.onCompleted();
        }
    }

    @Override
    public void broadcastRoom(BroadcastRoomReq request, StreamObserver<BroadcastRoomReply> out) {
        java.util.concurrent.CountDownLatch g = gate;
        if (g != null) {
            try {
                g.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (!fail(out)) {
            roomBatches.add(request);
            out.onNext(BroadcastRoomReply.getDefaultInstance());
            out.onCompleted();
        }
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
}
