package dev.imcluster.bench.pub;

import com.google.protobuf.ByteString;
import dev.imcluster.bench.net.ClientLoop;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * PubSubService.Publish (unary, async) on several HTTP/2 connections (channels), used in turn; target i is topic
 * {@code topics.apply(i)}.
 */
public final class GrpcPublisher implements Publisher {
    private final ManagedChannel[] channels;
    private final PubSubServiceGrpc.PubSubServiceStub[] stubs;
    private final AtomicInteger next = new AtomicInteger();
    private final String[] topics;

    public GrpcPublisher(ClientLoop loop, String host, int port, int channels, int targets,
                         IntFunction<String> topics) {
        this.channels = new ManagedChannel[channels];
        this.stubs = new PubSubServiceGrpc.PubSubServiceStub[channels];
        for (int i = 0; i < channels; i++) {
            this.channels[i] = NettyChannelBuilder.forAddress(host, port).usePlaintext()
                    .eventLoopGroup(loop.group()).channelType(loop.channelType()).directExecutor().build();
            this.stubs[i] = PubSubServiceGrpc.newStub(this.channels[i]);
        }
        this.topics = new String[targets];
        for (int i = 0; i < targets; i++) {
            this.topics[i] = topics.apply(i);
        }
    }

    @Override
    public void publish(int target, byte[] payload, Callback callback) {
        PublishRequest request = PublishRequest.newBuilder().setTopic(topics[target])
                .setPayload(ByteString.copyFrom(payload)).build();
        stubs[Math.floorMod(next.getAndIncrement(), stubs.length)].publish(request, new StreamObserver<>() {
            @Override
            public void onNext(dev.imcluster.broker.api.pubsub.PublishResponse value) {
            }

            @Override
            public void onError(Throwable t) {
                callback.done(t);
            }

            @Override
            public void onCompleted() {
                callback.done(null);
            }
        });
    }

    @Override
    public String describe() {
        return "gRPC Publish, " + channels.length + " channels";
    }

    @Override
    public void close() {
        for (ManagedChannel c : channels) {
            c.shutdown();
        }
        for (ManagedChannel c : channels) {
            try {
                c.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            c.shutdownNow();
        }
    }
}
