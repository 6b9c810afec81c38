package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.pubsub.HistoryRequest;
import dev.imcluster.broker.api.pubsub.Presence;
import dev.imcluster.broker.api.pubsub.PresenceEvent;
import dev.imcluster.broker.api.pubsub.PresenceRequest;
import dev.imcluster.broker.api.pubsub.PresenceResponse;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.DeliveryConfig;
import dev.imcluster.broker.session.PresenceMember;
import dev.imcluster.broker.testing.TestSupport;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Presence across two comets with logic and job as separate roles over the in-memory queue: who is in a room
 * (goim clients and gRPC subscribers, with their comet and user id), as seen through either comet; join/leave
 * events only for subscribers that asked; events never reach goim clients or history; untracked rooms give a
 * count only.
 */
class PresenceEndToEndTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration REPORT_INTERVAL = Duration.ofMillis(200);
    private static final String ROOM = "chat://1";

    private InProcessCluster cluster;
    private CometRole cometA;
    private CometRole cometB;
    private PubSubServiceGrpc.PubSubServiceStub viaA;
    private PubSubServiceGrpc.PubSubServiceStub viaB;
    private PubSubServiceGrpc.PubSubServiceBlockingStub blockingA;
    private PubSubServiceGrpc.PubSubServiceBlockingStub blockingB;

    private static BrokerConfig config() {
        BrokerConfig config = TestSupport.loopbackConfig();
        config.delivery.presence = List.of("chat://*");
        DeliveryConfig.History h = new DeliveryConfig.History();
        h.pattern = "*";
        config.delivery.history = List.of(h);
        config.comet.onlineReportInterval = REPORT_INTERVAL;
        config.comet.drainTimeout = Duration.ofSeconds(2);
        return config;
    }

    @BeforeEach
    void startCluster() throws Exception {
        cluster = InProcessCluster.builder(PresenceEndToEndTest::config).comets("comet-a", "comet-b")
                .job(c -> c.job.roomBatch.maxDelay = Duration.ofMillis(20)).start();
        cometA = cluster.comet(0);
        cometB = cluster.comet(1);
        viaA = PubSubServiceGrpc.newStub(cluster.channel(cometA.pubsubGrpcPort()));
        viaB = PubSubServiceGrpc.newStub(cluster.channel(cometB.pubsubGrpcPort()));
        blockingA = PubSubServiceGrpc.newBlockingStub(cluster.channel(cometA.pubsubGrpcPort()));
        blockingB = PubSubServiceGrpc.newBlockingStub(cluster.channel(cometB.pubsubGrpcPort()));
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private GoimClient goim(Transport transport, CometRole comet, long mid, String key, String room) {
        return cluster.goim(transport, comet, "{\"mid\":" + mid + ",\"key\":\"" + key + "\",\"room_id\":\"" + room
                + "\",\"accepts\":[1000]}");
    }

    /** A Subscribe stream's responses. */
    private static final class Subscriber implements StreamObserver<SubscribeResponse> {
        final BlockingQueue<SubscribeResponse> received = new LinkedBlockingQueue<>();
        final List<PresenceEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void onNext(SubscribeResponse value) {
            if (value.hasPresenceEvent()) {
                events.add(value.getPresenceEvent());
            }
            received.add(value);
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }

        SubscribeResponse next() throws InterruptedException {
            SubscribeResponse r = received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(r).as("a response within %s", WAIT).isNotNull();
            return r;
        }

        /** The next response that is not a presence event. */
        SubscribeResponse nextMessage() throws InterruptedException {
            SubscribeResponse r;
            do {
                r = next();
            } while (r.hasPresenceEvent());
            return r;
        }
    }

    private Subscriber subscribe(PubSubServiceGrpc.PubSubServiceStub via, String topic, boolean presenceEvents) {
        Subscriber s = new Subscriber();
        via.subscribe(SubscribeRequest.newBuilder().setTopic(topic).setPresenceEvents(presenceEvents).build(), s);
        return s;
    }

    /**
     * A subscription with presence events that is in the room: a probe published after subscribing reached it.
     * The JOIN of someone who joins after this reaches it; without the wait the JOIN could pass before the
     * Subscribe call joined the room (seen once on a loaded machine). What the probes brought is forgotten.
     */
    private Subscriber subscribed(PubSubServiceGrpc.PubSubServiceStub via, String topic) throws InterruptedException {
        Subscriber s = subscribe(via, topic, true);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).until(() -> {
            publish(topic, "probe");
            return s.received.stream().anyMatch(r -> !r.hasPresenceEvent());
        });
        publish(topic, "ready"); // after every probe: a room keeps its order
        while (!s.nextMessage().getPayload().toStringUtf8().equals("ready")) {
            // a probe
        }
        s.received.clear();
        s.events.clear();
        return s;
    }

    private static PresenceEvent event(PresenceEvent.Type type, String key, long mid, String server) {
        return PresenceEvent.newBuilder().setType(type).setKey(key).setMid(mid).setServer(server).build();
    }

    /** (key, mid, server) of each member; gRPC subscribers' generated keys become "grpc". */
    private static List<String> members(PresenceResponse r) {
        return r.getMembersList().stream()
                .map(m -> (m.getMid() == 0 ? "grpc" : m.getKey()) + "/" + m.getMid() + "/" + m.getServer())
                .sorted().toList();
    }

    private void publish(String topic, String payload) {
        blockingA.publish(PublishRequest.newBuilder().setTopic(topic).setPayload(ByteString.copyFromUtf8(payload))
                .build());
    }

    @Test
    void presenceListsEveryMemberOnEveryCometAndEventsReachOnlyThoseWhoAsked() throws Exception {
        Subscriber plain = subscribe(viaB, ROOM, false);
        Subscriber watcher = subscribe(viaA, ROOM, true);
        await().atMost(WAIT).until(() -> blockingA.presence(PresenceRequest.newBuilder().setTopic(ROOM).build())
                .getCount() == 2);
        GoimClient alice = goim(Transport.WEBSOCKET, cometA, 1, "k-alice", ROOM);
        GoimClient bob = goim(Transport.TCP, cometB, 2, "k-bob", ROOM);

        List<String> everyone = List.of("grpc/0/comet-a", "grpc/0/comet-b", "k-alice/1/comet-a", "k-bob/2/comet-b");
        for (PubSubServiceGrpc.PubSubServiceBlockingStub via : List.of(blockingA, blockingB)) {
            await().atMost(WAIT).until(() -> members(via.presence(PresenceRequest.newBuilder().setTopic(ROOM)
                    .build())).equals(everyone));
            PresenceResponse seen = via.presence(PresenceRequest.newBuilder().setTopic(ROOM).build());
            assertThat(seen.getCount()).isEqualTo(4);
            assertThat(seen.getMembersList()).allSatisfy(m -> {
                assertThat(m.getKey()).isNotEmpty();
                assertThat(m.getSince().getSeconds()).isPositive();
            });
        }
        List<String> subscriberKeys = blockingA.presence(PresenceRequest.newBuilder().setTopic(ROOM).build())
                .getMembersList().stream().filter(m -> m.getMid() == 0).map(Presence::getKey).toList();
        assertThat(subscriberKeys).as("each gRPC subscriber has its own generated key").doesNotHaveDuplicates();

        await().atMost(WAIT).until(() -> watcher.events.containsAll(List.of(
                event(PresenceEvent.Type.JOIN, "k-alice", 1, "comet-a"),
                event(PresenceEvent.Type.JOIN, "k-bob", 2, "comet-b"))));
        // The JOIN events went through the room before this message, on both comets: only the watcher sees them.
        publish(ROOM, "hello");
        List<GoimClient.Received> alicePush = alice.expectPushes(1);
        assertThat(alicePush.get(0).text()).as("goim clients get no presence events").isEqualTo("hello");
        assertThat(bob.expectPush().text()).isEqualTo("hello");
        SubscribeResponse first = plain.next();
        assertThat(first.hasPresenceEvent()).as("a subscriber that did not ask gets no events").isFalse();
        assertThat(first.getPayload().toStringUtf8()).isEqualTo("hello");
        SubscribeResponse hello = watcher.nextMessage();
        assertThat(hello.getPayload().toStringUtf8()).isEqualTo("hello");
        assertThat(blockingA.history(HistoryRequest.newBuilder().setTopic(ROOM).build()).getMessagesList())
                .as("presence events are not retained").extracting(m -> m.getPayload().toStringUtf8())
                .containsExactly("hello");

        bob.close();
        await().atMost(WAIT).until(() -> watcher.events.contains(event(PresenceEvent.Type.LEAVE, "k-bob", 2,
                "comet-b")));
        await().atMost(WAIT).until(() -> members(blockingA.presence(PresenceRequest.newBuilder().setTopic(ROOM)
                .build())).equals(List.of("grpc/0/comet-a", "grpc/0/comet-b", "k-alice/1/comet-a")));
        publish(ROOM, "after");
        assertThat(plain.next().getPayload().toStringUtf8()).as("nor the LEAVE").isEqualTo("after");
    }

    @Test
    void presenceEventsCarryNoPosition() throws Exception {
        String room = "chat://positions"; // its own room: its probes stay out of the other cases' history
        Subscriber watcher = subscribed(viaA, room);
        goim(Transport.TCP, cometB, 5, "k-eve", room);
        await().atMost(WAIT).until(() -> watcher.events.contains(event(PresenceEvent.Type.JOIN, "k-eve", 5,
                "comet-b")));
        for (SubscribeResponse r : watcher.received) {
            assertThat(r.hasPresenceEvent()).isTrue();
            assertThat(r.getPayload().isEmpty()).isTrue();
            assertThat(r.getEpoch()).isEmpty();
            assertThat(r.getOffset()).isZero();
            assertThat(r.getHeadersMap()).containsKey(dev.imcluster.broker.session.Presence.EVENT_HEADER);
        }
    }

    @Test
    void membersOfACometThatStopsReportingVanishWithinTheTtl() throws InterruptedException {
        // What a comet that died leaves behind: members reported with the TTL of three intervals, never renewed.
        cluster.sessions.addPresence(ROOM,
                List.of(new PresenceMember("k-ghost", 9, "comet-dead", System.currentTimeMillis())),
                REPORT_INTERVAL.multipliedBy(RoomPresence.TTL_INTERVALS)).join();
        goim(Transport.TCP, cometA, 3, "k-carol", ROOM);
        await().atMost(WAIT).until(() -> members(blockingB.presence(PresenceRequest.newBuilder().setTopic(ROOM)
                .build())).equals(List.of("k-carol/3/comet-a")));
        // A live comet's members stay: they are reported again every interval (wait past several TTLs).
        Thread.sleep(REPORT_INTERVAL.multipliedBy(RoomPresence.TTL_INTERVALS * 3L).toMillis());
        assertThat(members(blockingB.presence(PresenceRequest.newBuilder().setTopic(ROOM).build())))
                .containsExactly("k-carol/3/comet-a");
    }

    @Test
    void aRoomThatNoPatternMatchesReportsItsCountOnlyAndNoEvents() throws Exception {
        String untracked = "live://9";
        Subscriber watcher = subscribe(viaA, untracked, true);
        goim(Transport.TCP, cometA, 4, "k-dan", untracked);
        goim(Transport.TCP, cometB, 5, "k-erin", untracked);
        await().atMost(WAIT).until(() -> blockingB.presence(PresenceRequest.newBuilder().setTopic(untracked).build())
                .getCount() == 3);
        assertThat(blockingB.presence(PresenceRequest.newBuilder().setTopic(untracked).build()).getMembersList())
                .isEmpty();
        publish(untracked, "hi");
        SubscribeResponse first = watcher.next();
        assertThat(first.hasPresenceEvent()).isFalse();
        assertThat(first.getPayload().toStringUtf8()).isEqualTo("hi");
    }
}
