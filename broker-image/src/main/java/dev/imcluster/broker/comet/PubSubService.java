package dev.imcluster.broker.comet;

import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import com.google.protobuf.Empty;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The public topic API on comet: Subscribe joins the room named by the topic; Publish is forwarded to logic,
 * so a client needs this one address for both.
 */
final class PubSubService extends PubSubServiceGrpc.PubSubServiceImplBase {
    private final CometContext comet;
    private final Set<TopicSubscriber> active = ConcurrentHashMap.newKeySet();

    PubSubService(CometContext comet) {
        this.comet = comet;
    }

    @Override
    public void subscribe(SubscribeRequest req, StreamObserver<SubscribeResponse> response) {
        if (req.getTopic().isEmpty()) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("topic must be set").asRuntimeException());
            return;
        }
        if (comet.draining()) {
            response.onError(Status.UNAVAILABLE.withDescription("comet is draining; subscribe again")
                    .asRuntimeException());
            return;
        }
        if (comet.atConnectionLimit()) {
            response.onError(Status.RESOURCE_EXHAUSTED.withDescription("comet.maxConnections reached")
                    .asRuntimeException());
            return;
        }
        Bucket bucket = comet.buckets.forKey(UUID.randomUUID().toString());
        new TopicSubscriber(comet, req.getTopic(), bucket, (ServerCallStreamObserver<SubscribeResponse>) response,
                active).start();
    }

    @Override
    public void publish(PublishRequest req, StreamObserver<Empty> response) {
        if (req.getTopic().isEmpty()) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("topic must be set").asRuntimeException());
            return;
        }
        comet.metrics.inPublish.increment();
        comet.logic.publish(req, response);
    }

    /** Ends every open subscription (drain): clients subscribe again, elsewhere. */
    void endAll(Status status) {
        for (TopicSubscriber s : active) {
            s.end(status);
        }
    }
}
