package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.logic.LogicRole;
import dev.imcluster.broker.runtime.RoleContext;
import dev.imcluster.broker.testing.TestSupport;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 2's cross-role tests: logic, two comets and job as separate role instances (own contexts, configs and
 * ports), sharing only the in-memory bus (logic and job) and the session store (logic), talking over loopback.
 */
class CrossRoleEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private InProcessCluster cluster;
    private LogicRole logic;
    private CometRole cometA;
    private CometRole cometB;
    private RoleContext cometACtx;
    private RoleContext cometBCtx;
    private String push;

    @BeforeEach
    void startCluster() throws Exception {
        cluster = InProcessCluster.builder(TestSupport::loopbackConfig).comets("comet-a", "comet-b")
                .comet(c -> c.comet.protocol.sendQueueSize = 64)
                .job(c -> c.job.roomBatch.maxDelay = Duration.ofMillis(20))
                .start();
        logic = cluster.logic();
        push = cluster.pushUrl();
        cometA = cluster.comet(0);
        cometB = cluster.comet(1);
        cometACtx = cluster.cometContext(0);
        cometBCtx = cluster.cometContext(1);
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private SubscribeStream subscribe(CometRole comet, String topic) {
        SubscribeStream s = new SubscribeStream();
        PubSubServiceGrpc.newStub(cluster.channel(comet.pubsubGrpcPort()))
                .subscribe(SubscribeRequest.newBuilder().setTopic(topic).build(), s);
        return s;
    }

    private static PublishRequest publishRequest(String topic, String payload) {
        return PublishRequest.newBuilder().setTopic(topic).setPayload(ByteString.copyFromUtf8(payload)).build();
    }

    /** Publishes warm-up messages until every subscriber has one, then forgets them. */
    private void awaitSubscribed(PubSubServiceGrpc.PubSubServiceBlockingStub publisher, String topic,
                                 SubscribeStream... subscribers) {
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            publisher.publish(publishRequest(topic, "warmup"));
            for (SubscribeStream s : subscribers) {
                if (!s.holds("warmup")) {
                    return false;
                }
            }
            return true;
        });
        await().atMost(WAIT).pollDelay(Duration.ofMillis(300)).until(() -> true); // let in-flight warm-ups land
        for (SubscribeStream s : subscribers) {
            s.received.clear();
        }
    }

    private static List<String> nonWarmup(SubscribeStream s, int n) throws InterruptedException {
        List<String> out = new ArrayList<>();
        while (out.size() < n) {
            String m = s.nextPayload(WAIT);
            if (!m.equals("warmup")) {
                out.add(m);
            }
        }
        return out;
    }

    @Test
    void topicPublishReachesSubscribersOnEveryCometInOrderPerPublisher() throws Exception {
        String topic = "orders";
        SubscribeStream onA = subscribe(cometA, topic);
        SubscribeStream onB = subscribe(cometB, topic);
        PubSubServiceGrpc.PubSubServiceBlockingStub viaLogic = PubSubServiceGrpc.newBlockingStub(
                cluster.channel(logic.grpcPort())).withDeadlineAfter(2, TimeUnit.MINUTES);
        PubSubServiceGrpc.PubSubServiceBlockingStub viaComet = PubSubServiceGrpc.newBlockingStub(
                cluster.channel(cometA.pubsubGrpcPort())).withDeadlineAfter(2, TimeUnit.MINUTES);
        awaitSubscribed(viaLogic, topic, onA, onB);

        int n = 100;
        CompletableFuture<Void> p1 = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < n; i++) {
                viaComet.publish(publishRequest(topic, "p1:" + i));
            }
        });
        CompletableFuture<Void> p2 = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < n; i++) {
                viaLogic.publish(publishRequest(topic, "p2:" + i));
            }
        });
        p1.get(2, TimeUnit.MINUTES);
        p2.get(2, TimeUnit.MINUTES);
        for (SubscribeStream s : List.of(onA, onB)) {
            List<String> got = nonWarmup(s, 2 * n);
            for (String publisher : List.of("p1:", "p2:")) {
                assertThat(got.stream().filter(m -> m.startsWith(publisher))
                        .map(m -> Integer.parseInt(m.substring(3))).toList())
                        .as("messages of " + publisher + " in publish order").isSorted().hasSize(n).doesNotHaveDuplicates();
            }
        }
    }

    @Test
    void roomAndBroadcastPushesFanOutToBothComets() throws Exception {
        GoimClient inRoomOnA = cluster.goim(Transport.WEBSOCKET, cometA, auth(1, "a1", "live://1", 1000));
        GoimClient inRoomOnB = cluster.goim(Transport.TCP, cometB, auth(2, "b1", "live://1", 1000));
        GoimClient otherRoomOnB = cluster.goim(Transport.WEBSOCKET, cometB, auth(3, "b2", "live://2", 1000));

        HttpResponse<String> room = TestSupport.post(push + "/goim/push/room?operation=1000&type=live&room=1",
                "to room 1");
        assertThat(room.statusCode()).as(room.body()).isEqualTo(200);
        for (GoimClient c : List.of(inRoomOnA, inRoomOnB)) {
            GoimClient.Received r = c.expectPush();
            assertThat(r.op()).isEqualTo(1000);
            assertThat(r.text()).isEqualTo("to room 1");
        }

        assertThat(TestSupport.post(push + "/goim/push/all?operation=1000", "to all").statusCode()).isEqualTo(200);
        for (GoimClient c : List.of(inRoomOnA, inRoomOnB, otherRoomOnB)) {
            assertThat(c.expectPush().text()).isEqualTo("to all"); // room 2 got nothing before this
        }
    }

    @Test
    void keyAndMidPushesReachTheirClientsOnTheRightComet() throws Exception {
        GoimClient alice = cluster.goim(Transport.WEBSOCKET, cometB, auth(42, "alice-phone", "live://9", 1000, 1001));
        GoimClient bob = cluster.goim(Transport.TCP, cometA, auth(43, "bob-web", "live://9", 1000, 1001));

        HttpResponse<String> keys = TestSupport.post(push + "/goim/push/keys?operation=1001&keys=alice-phone",
                "hi alice");
        assertThat(keys.statusCode()).as(keys.body()).isEqualTo(200);
        GoimClient.Received toAlice = alice.expectPush();
        assertThat(toAlice.op()).isEqualTo(1001);
        assertThat(toAlice.text()).isEqualTo("hi alice");

        assertThat(TestSupport.post(push + "/goim/push/mids?operation=1001&mids=43", "hi bob").statusCode())
                .isEqualTo(200);
        assertThat(bob.expectPush().text()).isEqualTo("hi bob");

        // Each got only its own push: the next thing both see is this room message.
        assertThat(TestSupport.post(push + "/goim/push/room?operation=1000&type=live&room=9", "to both")
                .statusCode()).isEqualTo(200);
        assertThat(alice.expectPush().text()).isEqualTo("to both");
        assertThat(bob.expectPush().text()).isEqualTo("to both");
    }

    @Test
    void onlineCountsAddUpAcrossComets() throws Exception {
        cluster.goim(Transport.TCP, cometA, auth(1, "o1", "live://77", 1000));
        cluster.goim(Transport.WEBSOCKET, cometB, auth(2, "o2", "live://77", 1000));
        cluster.goim(Transport.TCP, cometB, auth(3, "o3", "live://78", 1000));
        await().atMost(WAIT).until(() -> TestSupport.get(push + "/goim/online/room?type=live&rooms=77&rooms=78")
                .body().contains("\"data\":{\"77\":2,\"78\":1}"));
        assertThat(TestSupport.get(push + "/goim/online/top?type=live&limit=1").body())
                .contains("[{\"room_id\":\"77\",\"count\":2}]");
    }

    @Test
    void aSlowSubscriberIsCutOffWhileOthersKeepReceiving() throws Exception {
        String topic = "firehose";
        SubscribeStream fast = subscribe(cometA, topic);
        ManagedChannel slowChannel = cluster.channel(cometA.pubsubGrpcPort());
        SubscribeStream.Stalled slow = new SubscribeStream.Stalled(slowChannel, topic); // reads one message only
        SubscribeStream onB = subscribe(cometB, topic);
        PubSubServiceGrpc.PubSubServiceBlockingStub publisher = PubSubServiceGrpc.newBlockingStub(
                cluster.channel(logic.grpcPort())).withDeadlineAfter(5, TimeUnit.MINUTES);
        awaitSubscribed(publisher, topic, fast, onB);

        String big = "x".repeat(4000);
        int published = 0;
        while (overflows(cometACtx) == 0) {
            assertThat(published).as("the slow subscriber overflowed").isLessThan(5000);
            for (int i = 0; i < 5; i++) {
                publisher.publish(publishRequest(topic, ++published + ":" + big));
            }
            // Paced like a live topic: the keeping-up subscribers get each round before the next.
            for (SubscribeStream s : List.of(fast, onB)) {
                List<String> got = nonWarmup(s, 5);
                assertThat(got.get(4)).startsWith(published + ":");
            }
        }
        slow.readAll();
        assertThat(slow.end.get(30, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        publisher.publish(publishRequest(topic, "after"));
        assertThat(nonWarmup(fast, 1)).containsExactly("after");
        assertThat(nonWarmup(onB, 1)).containsExactly("after");
        assertThat(fast.end).isNotDone();
    }

    private static double overflows(RoleContext ctx) {
        Counter c = ctx.meters().find("imcluster.comet.drops").tag("reason", "subscriber_overflow").counter();
        return c == null ? 0 : c.count();
    }

}
