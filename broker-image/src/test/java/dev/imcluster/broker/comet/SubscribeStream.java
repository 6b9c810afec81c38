package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** One Subscribe stream of the topic API: every response in arrival order, how the stream ended, its call. */
final class SubscribeStream implements ClientResponseObserver<SubscribeRequest, SubscribeResponse> {
    final BlockingQueue<SubscribeResponse> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> end = new CompletableFuture<>();
    volatile ClientCallStreamObserver<SubscribeRequest> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<SubscribeRequest> requestStream) {
        call = requestStream;
    }

    @Override
    public void onNext(SubscribeResponse value) {
        received.add(value);
    }

    @Override
    public void onError(Throwable t) {
        end.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
        end.complete(Status.OK);
    }

    /** The next response; fails when none comes within {@code wait}. */
    SubscribeResponse next(Duration wait) throws InterruptedException {
        SubscribeResponse r = received.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(r).as("a response within %s", wait).isNotNull();
        return r;
    }

    /** The next response's payload; fails when none comes within 20 s. */
    String nextPayload() throws InterruptedException {
        return nextPayload(Duration.ofSeconds(20));
    }

    String nextPayload(Duration wait) throws InterruptedException {
        return next(wait).getPayload().toStringUtf8();
    }

    /** True when a response not taken yet carries {@code payload}. */
    boolean holds(String payload) {
        return received.stream().anyMatch(r -> r.getPayload().toStringUtf8().equals(payload));
    }

    /** Cancels the call, as a client that goes away. */
    void cancel(String why) {
        call.cancel(why, null);
    }

    /**
     * A Subscribe call that asks for one message and never for more, as a reader that stalled: {@link #end} tells
     * how comet ended it; {@link #readAll} lets it read again.
     */
    static final class Stalled {
        final CompletableFuture<Status> end = new CompletableFuture<>();
        private final ClientCall<SubscribeRequest, SubscribeResponse> call;

        Stalled(ManagedChannel channel, String topic) {
            call = channel.newCall(PubSubServiceGrpc.getSubscribeMethod(), CallOptions.DEFAULT);
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onClose(Status status, Metadata trailers) {
                    end.complete(status);
                }
            }, new Metadata());
            call.sendMessage(SubscribeRequest.newBuilder().setTopic(topic).build());
            call.halfClose();
            call.request(1);
        }

        void readAll() {
            call.request(Integer.MAX_VALUE);
        }
    }
}
