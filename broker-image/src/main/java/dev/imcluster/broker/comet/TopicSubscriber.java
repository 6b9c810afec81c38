package dev.imcluster.broker.comet;

import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.pubsub.HistoryRequest;
import dev.imcluster.broker.api.pubsub.HistoryResponse;
import dev.imcluster.broker.api.pubsub.Recovery;
import dev.imcluster.broker.api.pubsub.StreamPosition;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A gRPC Subscribe stream as a room member (a topic is a room). Payloads wait in a bounded queue and are sent
 * only while gRPC says the stream is ready (transport flow control), so a slow subscriber never holds up the
 * fan-out: when its queue overflows, its stream ends with RESOURCE_EXHAUSTED and it leaves the room.
 * All calls on the response observer are serialized by a work-in-progress counter.
 */
final class TopicSubscriber implements RoomMember {
    private final CometContext comet;
    private final String topic;
    private final Bucket bucket;
    /** Streams serialized SubscribeResponses (see {@link PubSubService#SUBSCRIBE_ENCODED}). */
    private final ServerCallStreamObserver<byte[]> observer;
    private final int capacity;
    private final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicBoolean left = new AtomicBoolean();
    private final java.util.Set<TopicSubscriber> active;
    private volatile Status end;
    /** While history is read for recovery: live messages wait in {@link #held}. */
    private volatile boolean recovering;
    private List<Held> held = new ArrayList<>();
    /**
     * The recovery outcome and the replayed messages, sent before anything queued, as gRPC flow control allows.
     * Not counted against the queue's bound (history's size bounds it), so a replay longer than
     * {@code comet.protocol.sendQueueSize} does not end the stream. Set once; only {@link #drain} advances it.
     */
    private volatile List<byte[]> replay = List.of();
    private int replayNext;
    /** After a recovery: live messages at or before this position were replayed already. */
    private volatile String seamEpoch;
    private volatile long seamOffset;
    private volatile boolean cancelled;
    private boolean terminated;

    TopicSubscriber(CometContext comet, String topic, Bucket bucket,
                    ServerCallStreamObserver<byte[]> observer, java.util.Set<TopicSubscriber> active) {
        this.comet = comet;
        this.topic = topic;
        this.bucket = bucket;
        this.observer = observer;
        this.capacity = comet.sendQueueSize;
        this.active = active;
    }

    String topic() {
        return topic;
    }

    void start() {
        observer.setOnReadyHandler(this::drain);
        observer.setOnCancelHandler(() -> {
            cancelled = true;
            leave();
            drain();
        });
        active.add(this);
        bucket.join(topic, this);
        comet.metrics.subscribers.incrementAndGet(); // after joining: tests wait on it
    }

    /**
     * Recovery: joins the room at once (so nothing published from now on is missed) but holds live messages back
     * while logic reads history after {@code since}; then sends the outcome, the missed messages, and the held
     * live ones that were not among them.
     */
    void startRecovering(StreamPosition since, String authorization) {
        recovering = true;
        start();
        comet.logic.history(HistoryRequest.newBuilder().setTopic(topic).setSince(since).build(), authorization)
                .whenComplete((history, error) -> finishRecovery(since, history, error));
    }

    private synchronized void finishRecovery(StreamPosition since, HistoryResponse history, Throwable error) {
        Recovery.Builder outcome = Recovery.newBuilder();
        List<SubscribeResponse> missed = List.of();
        if (error != null) {
            outcome.setRecovered(false).setReason("history unavailable: " + error.getMessage());
            comet.recoveryLog.warn("recovery of a subscriber of topic {} failed: {}", topic, error.getMessage());
        } else {
            outcome.setPosition(history.getPosition()).setRecovered(history.getComplete())
                    .setReason(history.getReason());
            if (history.getComplete()) {
                missed = history.getMessagesList();
                outcome.setReplayed(missed.size());
                seamEpoch = since.getEpoch();
                seamOffset = missed.isEmpty() ? since.getOffset() : missed.get(missed.size() - 1).getOffset();
            }
        }
        comet.metrics.recovery(outcome.getRecovered());
        List<byte[]> first = new ArrayList<>(1 + missed.size());
        first.add(SubscribeResponse.newBuilder().setRecovery(outcome).build().toByteArray());
        missed.forEach(m -> first.add(m.toByteArray()));
        replay = first; // before any held message is queued: drain sends it first
        boolean room = true;
        for (int i = 0; room && i < held.size(); i++) {
            Held h = held.get(i);
            if (seamEpoch == null || !notAfterSeam(h.message())) {
                room = offer(h.encoded());
            }
        }
        held = null;
        recovering = false;
        drain();
    }

    @Override
    public int deliver(RoomBatch batch) {
        if (end != null || cancelled) {
            return 0;
        }
        if (recovering) {
            synchronized (this) {
                if (recovering) {
                    enqueue(batch, true);
                    return 0;
                }
            }
        }
        enqueue(batch, false);
        drain();
        return 0;
    }

    private void enqueue(RoomBatch batch, boolean hold) {
        List<byte[]> encoded = batch.encodedResponses();
        for (int i = 0; i < encoded.size(); i++) {
            if (seamEpoch != null && notAfterSeam(batch.messages.get(i))) {
                continue;
            }
            if (hold) {
                if (held.size() >= capacity) {
                    overflow();
                    return;
                }
                held.add(new Held(batch.messages.get(i), encoded.get(i)));
            } else if (!offer(encoded.get(i))) {
                return;
            }
        }
    }

    private record Held(RoomMessage message, byte[] encoded) {
    }

    /** Already replayed from history: the same epoch at or before the last replayed offset. */
    private boolean notAfterSeam(RoomMessage m) {
        if (m.getEpoch().equals(seamEpoch) && m.getOffset() <= seamOffset) {
            comet.metrics.dropDuplicate.increment();
            return true;
        }
        return false;
    }

    /** Queues one serialized response; false (and the stream ended) when the queue is full. */
    private boolean offer(byte[] response) {
        if (size.incrementAndGet() > capacity) {
            size.decrementAndGet();
            overflow();
            return false;
        }
        queue.offer(response);
        comet.metrics.queued.increment();
        return true;
    }

    private void overflow() {
        comet.metrics.dropSubscriberOverflow.increment();
        comet.slowLog.warn("ending slow gRPC subscriber of topic {}: more than {} messages queued", topic, capacity);
        end(Status.RESOURCE_EXHAUSTED.withDescription(
                "subscriber too slow: more than " + capacity + " messages queued for topic " + topic));
    }

    /** Ends the stream with this status (overflow, drain); the first end wins. Any thread. */
    void end(Status status) {
        if (end == null) {
            end = status;
        }
        leave();
        drain();
    }

    private void leave() {
        if (left.compareAndSet(false, true)) {
            bucket.leave(topic, this);
            comet.metrics.subscribers.decrementAndGet();
            active.remove(this);
        }
    }

    private void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            if (!terminated) {
                if (cancelled || end != null) {
                    terminated = true;
                    int dropped = clear() + replay.size() - replayNext;
                    replay = List.of();
                    replayNext = 0;
                    if (end != null && end.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                        comet.metrics.dropSubscriberOverflow.increment(dropped);
                    } else {
                        comet.metrics.dropClosed.increment(dropped);
                    }
                    if (!cancelled) {
                        observer.onError(end.asRuntimeException());
                    }
                } else {
                    List<byte[]> first = replay;
                    while (replayNext < first.size() && observer.isReady()) {
                        observer.onNext(first.get(replayNext++));
                        comet.metrics.outGrpc.increment();
                    }
                    if (!first.isEmpty() && replayNext == first.size()) {
                        replay = List.of(); // all sent: let it go (set once, so nothing newer is lost)
                        replayNext = 0;
                        first = replay;
                    }
                    byte[] next;
                    while (replayNext == first.size() && observer.isReady() && (next = queue.poll()) != null) {
                        size.decrementAndGet();
                        comet.metrics.queued.decrement();
                        observer.onNext(next);
                        comet.metrics.outGrpc.increment();
                    }
                }
            } else {
                clear();
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private int clear() {
        int n = 0;
        while (queue.poll() != null) {
            size.decrementAndGet();
            comet.metrics.queued.decrement();
            n++;
        }
        return n;
    }
}
