package dev.imcluster.broker.mq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.imcluster.broker.api.internal.PushEnvelope;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The consuming core shared by the backends, without a queue: room, per-key order, retries, close. */
class KeyedDispatcherTest {
    private final BusMetrics metrics = new BusMetrics(new SimpleMeterRegistry(), "test", () -> true);
    private final AtomicLong inFlight = new AtomicLong();
    private KeyedDispatcher dispatcher;

    @AfterEach
    void close() {
        if (dispatcher != null) {
            dispatcher.close(Duration.ZERO);
        }
    }

    private KeyedDispatcher dispatcher(MessageBus.EnvelopeHandler handler, int room) {
        dispatcher = new KeyedDispatcher("test", handler, metrics,
                new Backoff(Duration.ofMillis(10), Duration.ofMillis(50)), room, inFlight);
        return dispatcher;
    }

    private static PushEnvelope room(String room, String id) {
        return PushEnvelope.newBuilder().setType(PushEnvelope.Type.ROOM).setRoom(room).setMsgId(id).build();
    }

    /** A delivery that records its ack and release, and can be made invalid (partition revoked). */
    private static final class Recorded implements KeyedDispatcher.Delivery {
        final PushEnvelope envelope;
        final AtomicInteger acks = new AtomicInteger();
        final AtomicInteger releases = new AtomicInteger();
        final AtomicBoolean valid = new AtomicBoolean(true);

        Recorded(PushEnvelope envelope) {
            this.envelope = envelope;
        }

        @Override
        public PushEnvelope envelope() {
            return envelope;
        }

        @Override
        public void ack() {
            acks.incrementAndGet();
        }

        @Override
        public boolean valid() {
            return valid.get();
        }

        @Override
        public void released() {
            releases.incrementAndGet();
        }
    }

    private Recorded dispatch(PushEnvelope e) throws InterruptedException {
        assertThat(dispatcher.reserve(Duration.ofSeconds(5))).isTrue();
        Recorded r = new Recorded(e);
        dispatcher.dispatch(r);
        return r;
    }

    @Test
    void holdsAtMostItsRoomAndFreesItOnAck() throws Exception {
        List<CompletableFuture<Void>> pending = new CopyOnWriteArrayList<>();
        dispatcher(e -> {
            CompletableFuture<Void> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        }, 2);
        Recorded a = dispatch(room("r1", "a"));
        Recorded b = dispatch(room("r2", "b"));
        assertThat(dispatcher.tryReserve()).as("room is full").isFalse();
        await().until(() -> pending.size() == 2);
        pending.get(0).complete(null);
        await().until(() -> dispatcher.available() == 1);
        assertThat(a.acks.get() + b.acks.get()).isEqualTo(1);
        assertThat(inFlight).hasValue(1);
    }

    @Test
    void aKeysNextMessageIsHandedOverBeforeThePreviousFutureCompletes() throws Exception {
        List<String> handed = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> pending = new CopyOnWriteArrayList<>();
        dispatcher(e -> {
            handed.add(e.getMsgId());
            CompletableFuture<Void> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        }, 10);
        Recorded first = dispatch(room("r1", "1"));
        Recorded second = dispatch(room("r1", "2"));
        Recorded third = dispatch(room("r1", "3"));
        // job batches a room's messages and completes them together: all three must be handed over, in order.
        await().until(() -> handed.size() == 3);
        assertThat(handed).containsExactly("1", "2", "3");
        pending.forEach(f -> f.complete(null));
        await().until(() -> dispatcher.available() == 10);
        assertThat(List.of(first.acks.get(), second.acks.get(), third.acks.get())).containsOnly(1);
    }

    @Test
    void aFailedBatchIsRetriedInOrderBeforeTheKeyTakesNewMessages() throws Exception {
        List<String> handed = new CopyOnWriteArrayList<>();
        List<CompletableFuture<Void>> batch = new CopyOnWriteArrayList<>();
        AtomicBoolean failBatch = new AtomicBoolean(true);
        dispatcher(e -> {
            handed.add(e.getMsgId());
            if (failBatch.get()) {
                CompletableFuture<Void> f = new CompletableFuture<>();
                batch.add(f);
                return f;
            }
            return CompletableFuture.completedFuture(null);
        }, 10);
        List<Recorded> sent = new java.util.ArrayList<>();
        for (String id : List.of("1", "2", "3")) {
            sent.add(dispatch(room("r1", id)));
        }
        await().until(() -> batch.size() == 3);
        failBatch.set(false);
        // The batch fails as a whole (its comet call failed); a message that arrives meanwhile waits its turn.
        batch.forEach(f -> f.completeExceptionally(new IllegalStateException("comet down")));
        sent.add(dispatch(room("r1", "4")));
        await().until(() -> dispatcher.available() == 10);
        assertThat(handed).containsExactly("1", "2", "3", "1", "2", "3", "4");
        assertThat(sent).allSatisfy(r -> assertThat(r.acks).hasValue(1));
    }

    @Test
    void oneKeyWaitsForItsFailingHeadWhileOtherKeysFlow() throws Exception {
        AtomicInteger headAttempts = new AtomicInteger();
        List<String> order = new CopyOnWriteArrayList<>();
        dispatcher(e -> {
            if (e.getMsgId().equals("r1-first") && headAttempts.incrementAndGet() < 3) {
                return CompletableFuture.failedFuture(new IllegalStateException("test"));
            }
            order.add(e.getMsgId());
            return CompletableFuture.completedFuture(null);
        }, 10);
        Recorded first = dispatch(room("r1", "r1-first"));
        Recorded second = dispatch(room("r1", "r1-second"));
        Recorded other = dispatch(room("r2", "r2-only"));

        await().until(() -> order.size() == 3);
        assertThat(order.indexOf("r1-first")).isLessThan(order.indexOf("r1-second"));
        assertThat(headAttempts).hasValue(3);
        assertThat(List.of(first.acks.get(), second.acks.get(), other.acks.get())).containsOnly(1);
        assertThat(dispatcher.available()).isEqualTo(10);
    }

    @Test
    void aDeliveryThatIsNoLongerOursIsNeitherRetriedNorAcked() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        dispatcher(e -> {
            attempts.incrementAndGet();
            return CompletableFuture.failedFuture(new IllegalStateException("test"));
        }, 4);
        Recorded revoked = dispatch(room("r1", "x"));
        await().until(() -> attempts.get() >= 2);
        revoked.valid.set(false);
        await().until(() -> revoked.releases.get() == 1);
        int after = attempts.get();
        assertThat(revoked.acks).hasValue(0);
        assertThat(dispatcher.available()).isEqualTo(4);
        assertThat(attempts.get()).isEqualTo(after);
    }

    @Test
    void closeWaitsForInFlightThenReleasesTheRest() throws Exception {
        CompletableFuture<Void> never = new CompletableFuture<>();
        dispatcher(e -> e.getMsgId().equals("done") ? CompletableFuture.completedFuture(null) : never, 4);
        Recorded done = dispatch(room("r1", "done"));
        Recorded stuck = dispatch(room("r2", "stuck"));
        Recorded queued = dispatch(room("r2", "queued"));
        await().until(() -> done.acks.get() == 1);

        dispatcher.close(Duration.ofMillis(200));
        assertThat(stuck.releases).hasValue(1);
        assertThat(queued.releases).hasValue(1);
        assertThat(stuck.acks.get() + queued.acks.get()).isZero();
        assertThat(dispatcher.tryReserve()).as("closed").isFalse();
        assertThat(inFlight).hasValue(0);
    }
}
