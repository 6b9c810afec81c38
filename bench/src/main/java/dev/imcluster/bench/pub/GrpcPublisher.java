package dev.imcluster.bench.pub;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import dev.imcluster.bench.net.ClientLoop;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/** PubSubService.Publish (unary, async) on one HTTP/2 connection; target i is topic {@code topics.apply(i)}. */
public final class GrpcPublisher implements Publisher {
    private final ManagedChannel channel;
    private final PubSubServiceGrpc.PubSubServiceStub stub;
    private final String[] topics;

    public GrpcPublisher(ClientLoop loop, String host, int port, int targets, IntFunction<String> topics) {
        this.channel = NettyChannelBuilder.forAddress(host, port).usePlaintext()
                .eventLoopGroup(loop.group()).channelType(loop.channelType()).directExecutor().build();
        this.stub = PubSubServiceGrpc.newStub(channel);
        this.topics = new String[targets];
        for (int i = 0; i < targets; i++) {
            this.topics[i] = topics.apply(i);
        }
    }

    @Override
    public void publish(int target, byte[] payload, Callback callback) {
        PublishRequest request = PublishRequest.newBuilder().setTopic(topics[target])
                .setPayload(ByteString.copyFrom(payload)).build();
        stub.publish(request, new StreamObserver<>() {
            @Override
            public void onNext(Empty value) {
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
        return "gRPC Publish";
    }

    @Override
    public void close() {
        channel.shutdown();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channel.shutdownNow();
    }
}
