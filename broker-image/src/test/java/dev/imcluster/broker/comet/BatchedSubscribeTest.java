package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Subscribe with {@code max_batch}: what waits for a subscriber goes out packed in one response's {@code batch},
 * in order and complete; a subscriber that did not ask gets one message per response (the original API).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchedSubscribeTest {
    /** Messages of this size fill the client's small flow-control window after a few, so the rest wait at comet. */
    private static final String BODY = "x".repeat(4000);
    private static final int MESSAGES = 40;
    private CometHarness h;

    @BeforeAll
    void start() throws Exception {
        h = new CometHarness(c -> c.comet.protocol.sendQueueSize = 64);
    }

    @AfterAll
    void stop() throws Exception {
        h.close();
    }

    /** A Subscribe call that reads nothing until {@link #readAll}: responses as they arrived. */
    private final class Reader {
        final ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", h.comet.pubsubGrpcPort())
                .usePlaintext().flowControlWindow(16 * 1024).build();
        final List<SubscribeResponse> responses = new CopyOnWriteArrayList<>();
        final AtomicReference<Status> end = new AtomicReference<>();
        final ClientCall<SubscribeRequest, SubscribeResponse> call =
                channel.newCall(PubSubServiceGrpc.getSubscribeMethod(), CallOptions.DEFAULT);

        Reader(String topic, int maxBatch) {
            call.start(new ClientCall.Listener<>() {
                @Override
                public void onMessage(SubscribeResponse message) {
                    responses.add(message);
                }

                @Override
                public void onClose(Status status, Metadata trailers) {
                    end.set(status);
                }
            }, new Metadata());
            call.sendMessage(SubscribeRequest.newBuilder().setTopic(topic).setMaxBatch(maxBatch).build());
            call.halfClose();
        }

        void readAll() {
            call.request(Integer.MAX_VALUE);
        }

        /** The messages, unpacked from batches. */
        List<String> payloads() {
            return responses.stream()
                    .flatMap(r -> r.getBatchCount() > 0 ? r.getBatchList().stream() : java.util.stream.Stream.of(r))
                    .map(r -> r.getPayload().toStringUtf8().substring(0, r.getPayload().toStringUtf8().indexOf(':')))
                    .toList();
        }
    }

    @Test
    void waitingMessagesArePackedInOrderAndCompleteOnlyForSubscribersThatAsked() {
        String topic = "batched";
        double before = h.gauge("imcluster.comet.topic.subscribers");
        Reader batched = new Reader(topic, 64);
        Reader single = new Reader(topic, 0);
        try {
            await().atMost(GoimClient.WAIT).until(() -> h.gauge("imcluster.comet.topic.subscribers") >= before + 2);
            for (int i = 1; i <= MESSAGES; i++) {
                RoomMessage m = message(1000, i + ":" + BODY);
                h.pushRoom(topic, m);
            }
            batched.readAll();
            single.readAll();
            List<String> expected = java.util.stream.IntStream.rangeClosed(1, MESSAGES).mapToObj(String::valueOf)
                    .toList();
            await().atMost(GoimClient.WAIT).untilAsserted(() -> {
                assertThat(batched.payloads()).containsExactlyElementsOf(expected);
                assertThat(single.payloads()).containsExactlyElementsOf(expected);
            });
            assertThat(batched.responses).as("what waited went out in fewer responses")
                    .hasSizeLessThan(MESSAGES)
                    .allSatisfy(r -> assertThat(r.getBatchCount()).isPositive());
            assertThat(single.responses).hasSize(MESSAGES)
                    .allSatisfy(r -> assertThat(r.getBatchCount()).isZero());
            assertThat(batched.end.get()).isNull();
        } finally {
            batched.channel.shutdownNow();
            single.channel.shutdownNow();
        }
    }
}
