package dev.imcluster.broker.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.RoomMessage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The batching rules of one room: a quiet room sends at once, a busy one at most one timed batch per maxDelay. */
class RoomBatcherTest {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final List<List<String>> sent = new CopyOnWriteArrayList<>();
    private final List<Long> sentAt = new CopyOnWriteArrayList<>();
    private RoomBatcher batcher;

    @AfterEach
    void stop() {
        batcher.close();
        timer.shutdownNow();
    }

    private void start(int maxMessages, Duration maxDelay) {
        batcher = new RoomBatcher(maxMessages, maxDelay, Duration.ofMinutes(5), timer, req -> {
            sent.add(req.getMessagesList().stream().map(m -> m.getBody().toStringUtf8()).toList());
            sentAt.add(System.nanoTime());
            return CompletableFuture.completedFuture(null);
        }, new SimpleMeterRegistry());
    }

    private CompletableFuture<Void> add(String room, String body) {
        return batcher.add(room, RoomMessage.newBuilder().setMsgId(body).setBody(ByteString.copyFromUtf8(body)).build());
    }

    @Test
    void aQuietRoomSendsItsMessageAtOnceWithoutWaitingForMaxDelay() {
        start(20, Duration.ofMinutes(10));
        CompletableFuture<Void> first = add("live://1", "m1");
        // Done long before the 10 minutes a goim batch would wait.
        await().atMost(Duration.ofSeconds(30)).until(first::isDone);
        assertThat(sent).containsExactly(List.of("m1"));
        // Another room is quiet too.
        await().atMost(Duration.ofSeconds(30)).until(add("live://2", "n1")::isDone);
        assertThat(sent).containsExactly(List.of("m1"), List.of("n1"));
    }

    @Test
    void whatFollowsWithinMaxDelayIsBatchedUntilMaxDelayAfterTheLastSend() {
        Duration maxDelay = Duration.ofSeconds(2); // long enough that m2 and m3 surely come within it
        start(20, maxDelay);
        long beforeFirst = System.nanoTime(); // the first batch is sealed after this
        add("live://1", "m1").join();
        CompletableFuture<Void> second = add("live://1", "m2");
        CompletableFuture<Void> third = add("live://1", "m3");
        await().atMost(Duration.ofSeconds(30)).until(() -> second.isDone() && third.isDone());
        assertThat(sent).containsExactly(List.of("m1"), List.of("m2", "m3"));
        // A timer never fires early: the batch waited for the rest of maxDelay after the first batch was sealed
        // (measured from before that, as the first send call may start a while after its seal on a busy machine).
        assertThat(sentAt.get(1) - beforeFirst).isGreaterThanOrEqualTo(maxDelay.toNanos());
    }

    @Test
    void aFullBatchGoesOutWithoutWaiting() {
        start(3, Duration.ofMinutes(10));
        add("live://1", "m1").join();
        CompletableFuture<Void> full = add("live://1", "m2");
        add("live://1", "m3");
        add("live://1", "m4");
        await().atMost(Duration.ofSeconds(30)).until(full::isDone);
        assertThat(sent).containsExactly(List.of("m1"), List.of("m2", "m3", "m4"));
    }

    @Test
    void aRoomQuietForMaxDelayAgainSendsAtOnce() throws Exception {
        Duration maxDelay = Duration.ofMillis(300);
        start(20, maxDelay);
        add("live://1", "m1").join();
        Thread.sleep(maxDelay.toMillis() + 100); // the room goes quiet
        CompletableFuture<Void> again = add("live://1", "m2");
        CompletableFuture<Void> next = add("live://1", "m3");
        await().atMost(Duration.ofSeconds(30)).until(() -> again.isDone() && next.isDone());
        // m2 went alone, at once; m3 waited for the next timed batch.
        assertThat(sent).containsExactly(List.of("m1"), List.of("m2"), List.of("m3"));
    }

    @Test
    void zeroMaxDelayStillBatchesWhatArrivesDuringASend() {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        batcher = new RoomBatcher(20, Duration.ZERO, Duration.ofMinutes(5), timer, req -> {
            sent.add(req.getMessagesList().stream().map(m -> m.getBody().toStringUtf8()).toList());
            return sent.size() == 1 ? gate : CompletableFuture.completedFuture(null);
        }, new SimpleMeterRegistry());
        add("live://1", "m1");
        add("live://1", "m2");
        CompletableFuture<Void> last = add("live://1", "m3");
        gate.complete(null);
        await().atMost(Duration.ofSeconds(30)).until(last::isDone);
        assertThat(sent).containsExactly(List.of("m1"), List.of("m2", "m3"));
    }

    /** Gates the first send until {@code gate} completes; later sends complete at once. */
    private void startGated(int maxMessages, CompletableFuture<Void> gate) {
        batcher = new RoomBatcher(maxMessages, Duration.ZERO, Duration.ofMinutes(5), timer, req -> {
            sent.add(req.getMessagesList().stream().map(m -> m.getBody().toStringUtf8().substring(0, 2)).toList());
            return sent.size() == 1 ? gate : CompletableFuture.completedFuture(null);
        }, new SimpleMeterRegistry());
    }

    @Test
    void zeroMaxDelaySendsEverythingThatWaitedBehindASendInOneCallInOrder() {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        startGated(2, gate);
        add("live://1", "m1");
        List<CompletableFuture<Void>> waiting = List.of("m2", "m3", "m4", "m5", "m6").stream()
                .map(body -> add("live://1", body)).toList(); // two full batches of 2, and m6 open
        gate.complete(null);
        await().atMost(Duration.ofSeconds(30)).until(() -> waiting.stream().allMatch(CompletableFuture::isDone));
        assertThat(sent).containsExactly(List.of("m1"), List.of("m2", "m3", "m4", "m5", "m6"));
    }

    @Test
    void zeroMaxDelayKeepsACallUnderItsMessageBudget() {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        startGated(RoomBatcher.ADAPTIVE_CALL_MESSAGES / 2, gate);
        add("live://1", "m0");
        List<CompletableFuture<Void>> waiting = new java.util.ArrayList<>();
        for (int i = 0; i < RoomBatcher.ADAPTIVE_CALL_MESSAGES * 2; i++) {
            waiting.add(add("live://1", "x" + i));
        }
        gate.complete(null);
        await().atMost(Duration.ofSeconds(30)).until(() -> waiting.stream().allMatch(CompletableFuture::isDone));
        assertThat(sent).extracting(List::size).containsExactly(1, RoomBatcher.ADAPTIVE_CALL_MESSAGES,
                RoomBatcher.ADAPTIVE_CALL_MESSAGES);
    }

    @Test
    void zeroMaxDelayKeepsACallUnderItsByteBudget() {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        startGated(1, gate);
        // Id and body both hold it, so a message is about 2/5 of the budget: two fit in a call, three do not.
        String padding = "x".repeat(RoomBatcher.ADAPTIVE_CALL_BYTES / 5);
        add("live://1", "m1" + padding);
        List<CompletableFuture<Void>> waiting = List.of("m2", "m3", "m4", "m5", "m6").stream()
                .map(body -> add("live://1", body + padding)).toList();
        gate.complete(null);
        await().atMost(Duration.ofSeconds(30)).until(() -> waiting.stream().allMatch(CompletableFuture::isDone));
        assertThat(sent).containsExactly(List.of("m1"), List.of("m2", "m3"), List.of("m4", "m5"), List.of("m6"));
    }
}
