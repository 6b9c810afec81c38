package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static dev.imcluster.broker.comet.CometHarness.message;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The gRPC topic API on comet: a topic is a room, Publish is forwarded to logic, slow subscribers are cut off. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PubSubTest {
    private CometHarness h;

    @BeforeAll
    void start() throws Exception {
        h = new CometHarness(c -> c.comet.protocol.sendQueueSize = 32);
    }

    @AfterAll
    void stop() throws Exception {
        h.close();
    }

    private SubscribeStream subscribe(PubSubServiceGrpc.PubSubServiceStub stub, String topic) {
        SubscribeStream c = new SubscribeStream();
        double before = h.gauge("imcluster.comet.topic.subscribers");
        stub.subscribe(SubscribeRequest.newBuilder().setTopic(topic).build(), c);
        // Subscribed once comet counts one more subscriber (it joins the room before counting is visible).
        await().atMost(GoimClient.WAIT).until(() -> h.gauge("imcluster.comet.topic.subscribers") > before);
        return c;
    }

    @Test
    void aTopicIsARoomForGoimClientsAndGrpcSubscribersAlike() throws Exception {
        String topic = "chat-shared";
        try (GoimClient goim = h.client(Transport.WEBSOCKET)) {
            goim.auth(auth(1, "shared", topic));
            SubscribeStream sub = subscribe(h.pubsubAsync, topic);
            h.pushRoom(topic, message(1000, "m1"), message(1000, "m2"));
            h.pushRoom(topic, message(1000, "m3"));
            assertThat(List.of(sub.nextPayload(), sub.nextPayload(), sub.nextPayload()))
                    .containsExactly("m1", "m2", "m3");
            assertThat(goim.expectPushes(2)).extracting(GoimClient.Received::text).containsExactly("m1", "m2");
            assertThat(goim.expectPushes(1)).extracting(GoimClient.Received::text).containsExactly("m3");
            // Both count as online in the room.
            await().atMost(GoimClient.WAIT).untilAsserted(() -> assertThat(goim.heartbeat()).isEqualTo(2));
        }
    }

    /** The send queue bounds what waits when a batch arrives: one batch longer than it is no sign of slowness. */
    @Test
    void aBatchLongerThanTheSendQueueReachesASubscriberWhole() throws Exception {
        String topic = "one-big-batch";
        SubscribeStream sub = subscribe(h.pubsubAsync, topic);
        double overflows = h.counter("imcluster.comet.drops", "reason", "subscriber_overflow");
        RoomMessage[] batch = new RoomMessage[32 * 3]; // sendQueueSize is 32 here
        for (int i = 0; i < batch.length; i++) {
            batch[i] = message(1000, "m" + i);
        }
        h.pushRoom(topic, batch);
        for (int i = 0; i < batch.length; i++) {
            assertThat(sub.nextPayload()).isEqualTo("m" + i);
        }
        assertThat(h.counter("imcluster.comet.drops", "reason", "subscriber_overflow")).isEqualTo(overflows);
        assertThat(sub.end).isNotDone();
    }

    @Test
    void publishIsForwardedToLogic() throws Exception {
        h.pubsub.publish(PublishRequest.newBuilder().setTopic("orders")
                .setPayload(ByteString.copyFromUtf8("order 1")).build());
        PublishRequest got = h.logic.published.poll(20, TimeUnit.SECONDS);
        assertThat(got).isNotNull();
        assertThat(got.getTopic()).isEqualTo("orders");
        assertThat(got.getPayload().toStringUtf8()).isEqualTo("order 1");
    }

    @Test
    void anEmptyTopicIsRefused() {
        SubscribeStream c = new SubscribeStream();
        h.pubsubAsync.subscribe(SubscribeRequest.getDefaultInstance(), c);
        assertThat(c.end.join().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
                () -> h.pubsub.publish(PublishRequest.getDefaultInstance())).getStatus().getCode())
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void aSlowSubscriberIsEndedWhileOthersKeepReceiving() throws Exception {
        String topic = "firehose";
        ManagedChannel slowChannel = NettyChannelBuilder.forAddress("127.0.0.1", h.comet.pubsubGrpcPort())
                .usePlaintext().build();
        ManagedChannel fastChannel = NettyChannelBuilder.forAddress("127.0.0.1", h.comet.pubsubGrpcPort())
                .usePlaintext().build();
        try (GoimClient goim = h.client(Transport.TCP)) {
            goim.auth(auth(1, "firehose-goim", topic));
            SubscribeStream.Stalled slow = new SubscribeStream.Stalled(slowChannel, topic);
            SubscribeStream fast = subscribe(PubSubServiceGrpc.newStub(fastChannel), topic);
            await().atMost(GoimClient.WAIT).until(() -> h.job.rooms(
                    dev.imcluster.broker.api.internal.RoomsReq.getDefaultInstance()).getRoomsMap().containsKey(topic)
                    && h.gauge("imcluster.comet.topic.subscribers") >= 2);
            double overflows = h.counter("imcluster.comet.drops", "reason", "subscriber_overflow");

            String big = "x".repeat(4000);
            int pushed = 0;
            List<String> fastSeen = new java.util.ArrayList<>();
            List<Integer> goimSeen = new java.util.ArrayList<>();
            // Paced like a live room: each batch reaches the keeping-up receivers before the next is pushed.
            while (h.counter("imcluster.comet.drops", "reason", "subscriber_overflow") == overflows) {
                assertThat(pushed).as("the slow subscriber overflowed").isLessThan(5000);
                RoomMessage[] batch = new RoomMessage[5];
                for (int i = 0; i < batch.length; i++) {
                    batch[i] = message(1000, ++pushed + ":" + big);
                }
                h.pushRoom(topic, batch);
                for (int i = 0; i < batch.length; i++) {
                    fastSeen.add(fast.nextPayload());
                }
                for (GoimClient.Received r : goim.expectPushes(batch.length)) {
                    goimSeen.add(Integer.parseInt(r.text().substring(0, r.text().indexOf(':'))));
                }
            }
            // grpc-java reports the end only once the client has read what was sent before it.
            slow.readAll();
            assertThat(slow.end.get(20, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(fastSeen).hasSize(pushed);
            for (int i = 0; i < pushed; i++) {
                assertThat(fastSeen.get(i)).startsWith((i + 1) + ":");
            }
            assertThat(goimSeen).isSorted().hasSize(pushed);
            assertThat(h.counter("imcluster.comet.disconnects", "reason", "slow_consumer")).isZero();
            assertThat(fast.end).isNotDone();
        } finally {
            slowChannel.shutdownNow();
            fastChannel.shutdownNow();
        }
    }

    @Test
    void bothGrpcServersServeHealthAndReflection() {
        for (int port : new int[] {h.comet.grpcPort(), h.comet.pubsubGrpcPort()}) {
            ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
            try {
                HealthCheckResponse r = HealthGrpc.newBlockingStub(ch).check(HealthCheckRequest.getDefaultInstance());
                assertThat(r.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
                var reflection = io.grpc.reflection.v1.ServerReflectionGrpc.newStub(ch);
                CompletableFuture<List<String>> services = new CompletableFuture<>();
                StreamObserver<io.grpc.reflection.v1.ServerReflectionRequest> req = reflection.serverReflectionInfo(
                        new StreamObserver<>() {
                            @Override
                            public void onNext(io.grpc.reflection.v1.ServerReflectionResponse value) {
                                services.complete(value.getListServicesResponse().getServiceList().stream()
                                        .map(io.grpc.reflection.v1.ServiceResponse::getName).toList());
                            }

                            @Override
                            public void onError(Throwable t) {
                                services.completeExceptionally(t);
                            }

                            @Override
                            public void onCompleted() {
                            }
                        });
                req.onNext(io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build());
                req.onCompleted();
                assertThat(services.join()).contains("grpc.health.v1.Health");
            } finally {
                ch.shutdownNow();
            }
        }
        assertThat(h.health.ready()).isTrue();
    }
}
