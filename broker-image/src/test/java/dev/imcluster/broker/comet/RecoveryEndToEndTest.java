package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.pubsub.HistoryRequest;
import dev.imcluster.broker.api.pubsub.HistoryResponse;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.PublishResponse;
import dev.imcluster.broker.api.pubsub.StreamPosition;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.seed.PubSubServiceGrpc.PubSubServiceBlockingStub;
import dev.imcluster.broker.testing.TestSupport;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Positions, history and recovery through the public topic API, with logic, comet and job as separate roles
 * over the in-memory queue (the per-backend process-level runs are in the delivery tests of each backend).
 * Every guarantee here is asserted message by message.
 */
class RecoveryEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private InProcessCluster cluster;
    private PubSubServiceGrpc.PubSubServiceBlockingStub viaLogic;
    private PubSubServiceGrpc.PubSubServiceStub viaComet;
    private int cometPort;
    private int logicPort;

    private static BrokerConfig config() {
        BrokerConfig config = TestSupport.loopbackConfig();
        config.delivery.history = List.of(TestSupport.historyPolicy("orders*", 1000),
                TestSupport.historyPolicy("tiny*", 10));
        return config;
    }

    @BeforeEach
    void startCluster() throws Exception {
        cluster = InProcessCluster.builder(RecoveryEndToEndTest::config)
                // Smaller than the replays below: a replay is paced by flow control, not bounded by the live queue.
                .comet(c -> c.comet.protocol.sendQueueSize = 64)
                .start();
        logicPort = cluster.logic().grpcPort();
        cometPort = cluster.comet(0).pubsubGrpcPort();
        viaLogic = PubSubServiceGrpc.newBlockingStub(cluster.channel(logicPort));
        viaComet = PubSubServiceGrpc.newStub(cluster.channel(cometPort));
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private SubscribeStream subscribe(SubscribeRequest request) {
        SubscribeStream s = new SubscribeStream();
        viaComet.subscribe(request, s);
        cluster.closeAtEnd(() -> s.cancel("test end"));
        return s;
    }

    /** Subscribes and waits until a probe message published after it arrives (so it is in the room). */
    private SubscribeStream subscribed(String topic) throws InterruptedException {
        SubscribeStream s = subscribe(SubscribeRequest.newBuilder().setTopic(topic).build());
        await().atMost(WAIT).until(() -> {
            publish(topic, "probe");
            return !s.received.isEmpty();
        });
        publish(topic, "ready"); // a room keeps its order: every probe comes before it
        while (!s.next(WAIT).getPayload().toStringUtf8().equals("ready")) {
            // a probe
        }
        return s;
    }

    private PublishResponse publish(String topic, String payload) {
        return viaLogic.publish(PublishRequest.newBuilder().setTopic(topic)
                .setPayload(ByteString.copyFromUtf8(payload)).build());
    }

    private static StreamPosition position(SubscribeResponse r) {
        return StreamPosition.newBuilder().setOffset(r.getOffset()).setEpoch(r.getEpoch()).build();
    }

    @Test
    void aResubscriberGetsExactlyWhatItMissedInOrderThenTheLiveStream() throws Exception {
        SubscribeStream first = subscribed("orders-1");
        List<PublishResponse> before = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            before.add(publish("orders-1", "before-" + i));
        }
        SubscribeResponse last = null;
        for (int i = 0; i < 20; i++) {
            last = first.next(WAIT);
            assertThat(last.getPayload().toStringUtf8()).isEqualTo("before-" + i);
            assertThat(last.getId()).isEqualTo(before.get(i).getId());
            assertThat(last.getOffset()).isEqualTo(before.get(i).getOffset());
            assertThat(last.getEpoch()).isEqualTo(before.get(i).getEpoch()).isNotEmpty();
            assertThat(last.hasPublishTime()).isTrue();
            assertThat(last.getOperation()).as("Publish's goim operation (logic.topicOperation)").isEqualTo(1000);
        }
        first.cancel("test");
        List<String> missed = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            missed.add("missed-" + i);
            publish("orders-1", "missed-" + i);
        }
        // job appends to history as it consumes, after Publish returned: wait until all 320 are retained, so that
        // the replay has to hold the 300 missed ones (otherwise the last few would come live, also in order).
        await().atMost(WAIT).until(() -> viaLogic.history(HistoryRequest.newBuilder().setTopic("orders-1").build())
                .getMessagesCount() >= before.size() + 300);

        SubscribeStream again = subscribe(SubscribeRequest.newBuilder().setTopic("orders-1").setSince(position(last))
                .setRecover(true).build());
        // Live messages published while the recovery runs must follow the replay, none twice, none lost.
        List<String> live = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            live.add("live-" + i);
            publish("orders-1", "live-" + i);
        }
        SubscribeResponse outcome = again.next(WAIT);
        assertThat(outcome.hasRecovery()).isTrue();
        assertThat(outcome.getRecovery().getRecovered()).as(outcome.getRecovery().getReason()).isTrue();
        assertThat(outcome.getRecovery().getReplayed()).isBetween(300, 350);
        List<String> expected = new ArrayList<>(missed);
        expected.addAll(live);
        long previous = last.getOffset();
        for (String payload : expected) {
            SubscribeResponse r = again.next(WAIT);
            assertThat(r.getPayload().toStringUtf8()).isEqualTo(payload);
            assertThat(r.getOffset()).isGreaterThan(previous);
            previous = r.getOffset();
        }
        assertThat(again.received.poll(300, TimeUnit.MILLISECONDS)).as("nothing after the last").isNull();
    }

    @Test
    void aPositionOlderThanHistoryIsToldNotSilentlySkipped() throws Exception {
        SubscribeStream first = subscribed("tiny-1");
        publish("tiny-1", "seen");
        SubscribeResponse last = first.next(WAIT);
        first.cancel("test");
        for (int i = 0; i < 30; i++) {
            publish("tiny-1", "gone-" + i);
        }
        SubscribeStream again = subscribe(SubscribeRequest.newBuilder().setTopic("tiny-1").setSince(position(last))
                .setRecover(true).build());
        SubscribeResponse outcome = again.next(WAIT);
        assertThat(outcome.getRecovery().getRecovered()).isFalse();
        assertThat(outcome.getRecovery().getReason()).isEqualTo("position older than history");
        assertThat(outcome.getRecovery().getPosition().getEpoch()).isEqualTo(last.getEpoch());
        assertThat(outcome.getRecovery().getPosition().getOffset()).isGreaterThan(last.getOffset());
        await().atMost(WAIT).until(() -> {
            publish("tiny-1", "after");
            return again.received.stream().anyMatch(r -> r.getPayload().toStringUtf8().equals("after"));
        });
    }

    @Test
    void anotherEpochAndATopicWithoutHistoryAreToldToo() throws Exception {
        publish("orders-2", "one");
        SubscribeStream otherEpoch = subscribe(SubscribeRequest.newBuilder().setTopic("orders-2").setRecover(true)
                .setSince(StreamPosition.newBuilder().setOffset(1).setEpoch("kafka:gone:0")).build());
        assertThat(otherEpoch.next(WAIT).getRecovery().getReason()).isEqualTo("epoch changed");
        SubscribeStream noHistory = subscribe(SubscribeRequest.newBuilder().setTopic("plain").setRecover(true)
                .setSince(StreamPosition.newBuilder().setOffset(1).setEpoch("memory:x")).build());
        SubscribeResponse outcome = noHistory.next(WAIT);
        assertThat(outcome.getRecovery().getRecovered()).isFalse();
        assertThat(outcome.getRecovery().getReason()).startsWith("no history for this topic");
    }

    @Test
    void historyReturnsWhatIsRetainedAfterAPosition() {
        List<PublishResponse> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sent.add(publish("orders-3", "h-" + i));
        }
        PubSubServiceGrpc.PubSubServiceBlockingStub onComet =
                PubSubServiceGrpc.newBlockingStub(cluster.channel(cometPort));
        await().atMost(WAIT).until(() -> onComet.history(HistoryRequest.newBuilder().setTopic("orders-3").build())
                .getMessagesCount() == 5);
        HistoryResponse after = onComet.history(HistoryRequest.newBuilder().setTopic("orders-3")
                .setSince(StreamPosition.newBuilder().setOffset(sent.get(1).getOffset()).setEpoch(sent.get(1).getEpoch()))
                .build());
        assertThat(after.getComplete()).isTrue();
        assertThat(after.getMessagesList()).extracting(r -> r.getPayload().toStringUtf8())
                .containsExactly("h-2", "h-3", "h-4");
        assertThat(after.getPosition().getOffset()).isEqualTo(sent.get(4).getOffset());
    }

    @Test
    void aRepeatedIdempotencyKeyIsDeliveredOnceAndHeadersArriveUnchanged() throws Exception {
        SubscribeStream s = subscribed("orders-4");
        PublishRequest request = PublishRequest.newBuilder().setTopic("orders-4").setIdempotencyKey("order-42")
                .putHeaders("trace", "abc").setPayload(ByteString.copyFromUtf8("once")).build();
        PublishResponse a = viaLogic.publish(request);
        PublishResponse b = viaLogic.publish(request);
        assertThat(b).isEqualTo(a);
        publish("orders-4", "next");
        SubscribeResponse once = s.next(WAIT);
        assertThat(once.getPayload().toStringUtf8()).isEqualTo("once");
        assertThat(once.getHeadersMap()).containsEntry("trace", "abc");
        assertThat(s.next(WAIT).getPayload().toStringUtf8()).isEqualTo("next");
    }

    @Test
    void aClientGeneratedFromTheSeedProtoStillPublishesAndSubscribes() throws Exception {
        var seedComet = dev.imcluster.broker.seed.PubSubServiceGrpc.newStub(cluster.channel(cometPort));
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        seedComet.subscribe(dev.imcluster.broker.seed.SubscribeRequest.newBuilder().setTopic("orders-5").build(),
                new io.grpc.stub.StreamObserver<>() {
                    @Override
                    public void onNext(dev.imcluster.broker.seed.SubscribeResponse value) {
                        got.add(value.getPayload().toStringUtf8());
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        PubSubServiceBlockingStub seedLogic = dev.imcluster.broker.seed.PubSubServiceGrpc.newBlockingStub(
                cluster.channel(logicPort));
        await().atMost(WAIT).until(() -> {
            assertThat(seedLogic.publish(dev.imcluster.broker.seed.PublishRequest.newBuilder().setTopic("orders-5")
                    .setPayload(ByteString.copyFromUtf8("seed")).build())).isNotNull(); // an Empty to this client
            return got.contains("seed");
        });
        // The seed's generated parser skipped the new fields (id, offset, epoch, publish time) and kept the payload.
        assertThat(got).allMatch("seed"::equals);
    }
}
