package dev.imcluster.broker.demo;

import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.function.Consumer;

/** The demo programs' gRPC subscriber of the demo topic, as any generated client would be. */
final class DemoGrpcSubscriber {
    private DemoGrpcSubscriber() {
    }

    /**
     * Subscribes at {@code target}: each payload as text to {@code payload}, and why the stream ended (an error's
     * message, or "completed by the server") to {@code ended}. Closing the result shuts the channel down.
     */
    static AutoCloseable subscribe(String target, Consumer<String> payload, Consumer<String> ended) {
        ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext().build();
        PubSubServiceGrpc.newStub(channel).subscribe(SubscribeRequest.newBuilder().setTopic(Demo.TOPIC).build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(SubscribeResponse value) {
                        payload.accept(value.getPayload().toStringUtf8());
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.accept(t.getMessage());
                    }

                    @Override
                    public void onCompleted() {
                        ended.accept("completed by the server");
                    }
                });
        return channel::shutdownNow;
    }
}
