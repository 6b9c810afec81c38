package dev.imcluster.broker.mq.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.mq.BusUnavailableException;
import dev.imcluster.broker.mq.MessageBus;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InMemoryBusTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private InMemoryBus bus = new InMemoryBus(meters);

    @AfterEach
    void close() {
        bus.close();
    }

    private static PushEnvelope room(String room, int n) {
        return PushEnvelope.newBuilder().setType(PushEnvelope.Type.ROOM).setRoom(room).setMsgId(room + "#" + n)
                .setMsg(ByteString.copyFromUtf8(Integer.toString(n))).build();
    }

    @Test
    void everyGroupGetsEveryMessageAndEachGroupMemberADisjointShare() {
        List<String> groupA1 = new CopyOnWriteArrayList<>();
        List<String> groupA2 = new CopyOnWriteArrayList<>();
        List<String> groupB = new CopyOnWriteArrayList<>();
        bus.subscribe("a", e -> record(groupA1, e));
        bus.subscribe("a", e -> record(groupA2, e));
        bus.subscribe("b", e -> record(groupB, e));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            PushEnvelope e = room("room-" + (i % 40), i);
            ids.add(e.getMsgId());
            bus.publish(e).join();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> groupA1.size() + groupA2.size() == 200 && groupB.size() == 200);
        assertThat(groupB).containsExactlyInAnyOrderElementsOf(ids);
        List<String> a = new ArrayList<>(groupA1);
        a.addAll(groupA2);
        assertThat(a).containsExactlyInAnyOrderElementsOf(ids); // each once within the group
        assertThat(groupA1).isNotEmpty();
        assertThat(groupA2).isNotEmpty();
    }

    @Test
    void orderIsKeptPerPartitionKey() {
        Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
        bus.subscribe("g", e -> {
            seen.computeIfAbsent(e.getRoom(), r -> Collections.synchronizedList(new ArrayList<>()))
                    .add(Integer.parseInt(e.getMsg().toStringUtf8()));
            return CompletableFuture.completedFuture(null);
        });
        for (int i = 0; i < 1000; i++) {
            bus.publish(room("r" + (i % 7), i)).join();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> seen.values().stream().mapToInt(List::size).sum() == 1000);
        seen.values().forEach(list -> assertThat(list).isSorted());
    }

    @Test
    void aFailedMessageIsRedeliveredUntilItsHandlerSucceeds() {
        AtomicInteger attempts = new AtomicInteger();
        List<String> acked = new CopyOnWriteArrayList<>();
        bus.subscribe("g", e -> {
            if (attempts.incrementAndGet() <= 3) {
                return CompletableFuture.failedFuture(new IllegalStateException("comet down"));
            }
            acked.add(e.getMsgId());
            return CompletableFuture.completedFuture(null);
        });
        bus.publish(room("r", 1)).join();
        await().atMost(Duration.ofSeconds(30)).until(() -> acked.size() == 1);
        assertThat(attempts.get()).isEqualTo(4);
        assertThat(meters.counter("imcluster.mq.redelivered", "backend", "memory").count()).isEqualTo(3);
    }

    @Test
    void theHandlerIsCalledAgainBeforeEarlierFuturesComplete() {
        List<CompletableFuture<Void>> open = new CopyOnWriteArrayList<>();
        bus.subscribe("g", e -> {
            CompletableFuture<Void> f = new CompletableFuture<>();
            open.add(f);
            return f;
        });
        for (int i = 0; i < 10; i++) {
            bus.publish(room("same-room", i)).join();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> open.size() == 10);
        open.forEach(f -> f.complete(null));
    }

    @Test
    void aFullBusRefusesPublishAndCountsIt() {
        bus.close();
        bus = new InMemoryBus(meters, 5);
        bus.subscribe("g", e -> new CompletableFuture<>()); // never acknowledges
        for (int i = 0; i < 5; i++) {
            bus.publish(room("r", i)).join();
        }
        CompletableFuture<dev.imcluster.broker.mq.Position> sixth = bus.publish(room("r", 6));
        assertThat(sixth).isCompletedExceptionally();
        assertThat(sixth.handle((v, e) -> e).join()).isInstanceOf(BusUnavailableException.class)
                .hasMessageContaining("full");
        assertThat(meters.counter("imcluster.mq.publish.failures", "backend", "memory").count()).isEqualTo(1);
    }

    @Test
    void anUnavailableBusRefusesPublish() {
        bus.setAvailable(false);
        assertThat(bus.healthy()).isFalse();
        assertThat(bus.publish(room("r", 1))).isCompletedExceptionally();
        bus.setAvailable(true);
        assertThat(bus.publish(room("r", 1))).isCompleted();
    }

    @Test
    void messagesPublishedBeforeAnyGroupReachTheFirstGroup() {
        bus.publish(room("r", 1)).join();
        bus.publish(room("r", 2)).join();
        List<String> got = new CopyOnWriteArrayList<>();
        bus.subscribe("late", e -> record(got, e));
        await().atMost(Duration.ofSeconds(30)).until(() -> got.size() == 2);
        assertThat(got).containsExactly("r#1", "r#2");
    }

    @Test
    void aLeavingMemberHandsItsPartitionsToTheOthers() {
        List<String> first = new CopyOnWriteArrayList<>();
        List<String> second = new CopyOnWriteArrayList<>();
        MessageBus.Subscription s1 = bus.subscribe("g", e -> record(first, e));
        bus.subscribe("g", e -> record(second, e));
        s1.close();
        for (int i = 0; i < 50; i++) {
            bus.publish(room("room-" + i, i)).join();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> second.size() == 50);
        assertThat(first).isEmpty();
    }

    private static CompletableFuture<Void> record(List<String> into, PushEnvelope e) {
        into.add(e.getMsgId());
        return CompletableFuture.completedFuture(null);
    }
}
