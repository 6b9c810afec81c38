package dev.imcluster.broker.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.config.DeliveryConfig;
import dev.imcluster.broker.history.HistoryMetrics;
import dev.imcluster.broker.history.HistoryPage;
import dev.imcluster.broker.history.HistoryPolicy;
import dev.imcluster.broker.history.HistoryStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What job hands the history store per room batch: epochs, floors, and failed appends that must not be hidden. */
class RoomHistoryTest {

    /** One store call, as the store saw it. */
    record Call(String epoch, List<Long> offsets, long floorIfNew, long lostUpTo) {
    }

    /** Records appends; each answers with the next queued future, or at once when none is queued. */
    static final class RecordingStore implements HistoryStore {
        final List<Call> calls = new ArrayList<>();
        final Queue<CompletableFuture<Void>> answers = new ArrayDeque<>();
        /** Thrown by append itself instead of a failed future (e.g. no connection yet). */
        RuntimeException thrown;

        @Override
        public synchronized CompletableFuture<Void> append(String room, List<RoomMessage> messages,
                                                           HistoryPolicy policy, long floorIfNew, long lostUpTo) {
            if (thrown != null) {
                throw thrown;
            }
            calls.add(new Call(messages.get(0).getEpoch(), messages.stream().map(RoomMessage::getOffset).toList(),
                    floorIfNew, lostUpTo));
            CompletableFuture<Void> answer = answers.poll();
            return answer == null ? CompletableFuture.completedFuture(null) : answer;
        }

        @Override
        public CompletableFuture<HistoryPage> read(String room, long sinceOffset, int limit, HistoryPolicy policy) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }
    }

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final RecordingStore store = new RecordingStore();
    private final RoomHistory.Track track = history().track("room-1");

    private RoomHistory history() {
        return new RoomHistory(new HistoryPolicy.Rules(List.of(star())), store, new HistoryMetrics(meters));
    }

    private static RoomMessage m(String epoch, long offset) {
        return RoomMessage.newBuilder().setMsgId(epoch + "/" + offset).setOffset(offset).setEpoch(epoch).build();
    }

    private static void done(CompletableFuture<Void> f) throws Exception {
        f.get(5, TimeUnit.SECONDS); // completes normally, whatever the store did
    }

    private double appendFailures() {
        return meters.get("imcluster_history_append_failures").counter().count();
    }

    @Test
    void roomsNoPatternMatchesHaveNoTrack() {
        DeliveryConfig.History live = new DeliveryConfig.History();
        live.pattern = "live://*";
        RoomHistory onlyLive = new RoomHistory(new HistoryPolicy.Rules(List.of(live)), store,
                new HistoryMetrics(meters));
        assertThat(onlyLive.track("chat://x")).isNull();
        assertThat(onlyLive.track("live://x")).isNotNull();
    }

    @Test
    void floorIfNewIsThePreviousOffsetWhenKnownElseOneBelowTheFirst() throws Exception {
        done(track.append(List.of(m("e1", 10), m("e1", 11))));
        done(track.append(List.of(m("e1", 15))));
        done(track.append(List.of(m("e1", 16), m("e1", 17))));
        assertThat(store.calls).containsExactly(
                new Call("e1", List.of(10L, 11L), 9, -1),
                new Call("e1", List.of(15L), 11, -1),
                new Call("e1", List.of(16L, 17L), 15, -1));
    }

    @Test
    void messagesWithoutAPositionAreNotAppended() throws Exception {
        done(track.append(List.of(m("", 0), m("e1", 3), m("", 0))));
        done(track.append(List.of(m("", 0))));
        assertThat(store.calls).containsExactly(new Call("e1", List.of(3L), 2, -1));
    }

    @Test
    void aBatchAcrossABackendSwapAppendsTheOldEpochThenStartsTheNewOneAndDropsStragglers() throws Exception {
        done(track.append(List.of(m("e1", 4))));
        done(track.append(List.of(m("e1", 5), m("e1", 6), m("e2", 100), m("e2", 101))));
        done(track.append(List.of(m("e1", 7), m("e2", 102), m("e1", 8))));
        assertThat(store.calls).containsExactly(
                new Call("e1", List.of(4L), 3, -1),
                new Call("e1", List.of(5L, 6L), 4, -1),
                new Call("e2", List.of(100L, 101L), 99, -1),
                new Call("e2", List.of(102L), 101, -1));
    }

    @Test
    void aBatchAcrossASwapIsDoneOnlyOnceBothPartsAreAppended() {
        CompletableFuture<Void> oldPart = new CompletableFuture<>();
        CompletableFuture<Void> newPart = new CompletableFuture<>();
        store.answers.add(oldPart);
        store.answers.add(newPart);
        CompletableFuture<Void> appended = track.append(List.of(m("e1", 5), m("e2", 1)));
        newPart.complete(null);
        assertThat(appended).isNotDone(); // the old epoch's part is not retained yet: the batch must not go out
        oldPart.complete(null);
        assertThat(appended).isCompleted();
    }

    @Test
    void aFailedAppendIsCountedAndRaisesTheFloorAtTheNextAppend() throws Exception {
        store.answers.add(CompletableFuture.failedFuture(new IllegalStateException("redis down")));
        done(track.append(List.of(m("e1", 1), m("e1", 2), m("e1", 3))));
        assertThat(appendFailures()).isEqualTo(1);

        done(track.append(List.of(m("e1", 4))));
        done(track.append(List.of(m("e1", 5))));
        assertThat(store.calls).containsExactly(
                new Call("e1", List.of(1L, 2L, 3L), 0, -1),
                new Call("e1", List.of(4L), 3, 3),
                new Call("e1", List.of(5L), 4, -1)); // passed once it was stored
        assertThat(appendFailures()).isEqualTo(1);
    }

    @Test
    void aStoreThatThrowsIsAFailedAppendToo() throws Exception {
        store.thrown = new IllegalStateException("not connected");
        done(track.append(List.of(m("e1", 1))));
        assertThat(appendFailures()).isEqualTo(1);
        store.thrown = null;
        done(track.append(List.of(m("e1", 2))));
        assertThat(store.calls).containsExactly(new Call("e1", List.of(2L), 1, 1));
    }

    @Test
    void aFailedAppendOfARetiredEpochDoesNotRaiseTheNewEpochsFloor() throws Exception {
        CompletableFuture<Void> oldPart = new CompletableFuture<>();
        store.answers.add(oldPart);
        CompletableFuture<Void> appended = track.append(List.of(m("e1", 500), m("e2", 1)));
        oldPart.completeExceptionally(new IllegalStateException("redis down"));
        done(appended);
        assertThat(appendFailures()).isEqualTo(1);

        done(track.append(List.of(m("e2", 2))));
        assertThat(store.calls.get(store.calls.size() - 1)).isEqualTo(new Call("e2", List.of(2L), 1, -1));
    }

    private static DeliveryConfig.History star() {
        DeliveryConfig.History all = new DeliveryConfig.History();
        all.pattern = "*";
        return all;
    }
}
