package dev.imcluster.bench.run;

import com.google.protobuf.ByteString;
import dev.imcluster.bench.core.Deliveries;
import dev.imcluster.bench.net.ClientLoop;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/** PubSubService.Subscribe streams on comet, spread over a few HTTP/2 connections, reading on the I/O threads. */
final class GrpcSubscribers implements AutoCloseable {
    private static final int STREAMS_PER_CONNECTION = 250;

    private final ClientLoop loop;
    private final String host;
    private final int port;
    private final Deliveries deliveries;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<Context.CancellableContext> streams = new ArrayList<>();
    private final LongAdder failed = new LongAdder();
    private final AtomicReference<Throwable> firstError = new AtomicReference<>();
    private volatile boolean closing;

    GrpcSubscribers(ClientLoop loop, String host, int port, Deliveries deliveries) {
        this.loop = loop;
        this.host = host;
        this.port = port;
        this.deliveries = deliveries;
    }

    /** Subscribes with max_batch (0: one message per response, the original API). */
    void subscribe(String topic, int maxBatch) {
        if (streams.size() % STREAMS_PER_CONNECTION == 0) {
            channels.add(NettyChannelBuilder.forAddress(host, port).usePlaintext().eventLoopGroup(loop.group())
                    .channelType(loop.channelType()).directExecutor().build());
        }
        PubSubServiceGrpc.PubSubServiceStub stub = PubSubServiceGrpc.newStub(channels.get(channels.size() - 1));
        Context.CancellableContext context = Context.current().withCancellation();
        streams.add(context);
        context.run(() -> stub.subscribe(SubscribeRequest.newBuilder().setTopic(topic).setMaxBatch(maxBatch).build(),
                new StreamObserver<SubscribeResponse>() {
                    @Override
                    public void onNext(SubscribeResponse value) {
                        if (value.getBatchCount() > 0) {
                            value.getBatchList().forEach(this::onNext);
                            return;
                        }
                        ByteString p = value.getPayload();
                        if (p.size() < 9) {
                            return;
                        }
                        long sent = 0;
                        for (int i = 0; i < 8; i++) {
                            sent = (sent << 8) | (p.byteAt(i) & 0xff);
                        }
                        deliveries.record(sent, p.byteAt(8));
                    }

                    @Override
                    public void onError(Throwable t) {
                        if (!closing) {
                            failed.increment();
                            firstError.compareAndSet(null, t);
                        }
                    }

                    @Override
                    public void onCompleted() {
                        if (!closing) {
                            failed.increment();
                        }
                    }
                }));
    }

    long failed() {
        return failed.sum();
    }

    Throwable firstError() {
        return firstError.get();
    }

    @Override
    public void close() {
        closing = true;
        streams.forEach(c -> c.cancel(null));
        for (ManagedChannel c : channels) {
            c.shutdownNow();
            try {
                c.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
