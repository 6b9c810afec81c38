package dev.imcluster.broker.comet;

import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.pubsub.StreamPosition;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import io.grpc.stub.ServerCallStreamObserver;
import io.netty.util.internal.PlatformDependent;
import java.util.Queue;
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
    private final String key;
    private final Bucket bucket;
    /** Asked for presence events (presence_events); others never see them. */
    private final boolean presenceEvents;
    /** Streams serialized SubscribeResponses (see {@link PubSubService#SUBSCRIBE_ENCODED}). */
    private final ServerCallStreamObserver<byte[]> observer;
    private final int capacity;
    /** Messages per response asked for (max_batch); 1 sends each in its own response, as the original API. */
    private final int maxBatch;
    /** Reused by {@link #send} (inside the serialized section only); null without batching. */
    private final ResponseBatch batch;
    /** Written by the fan-out (and recovery), read only inside {@link #drain}'s serialized section. */
    private final Queue<byte[]> queue = PlatformDependent.newMpscQueue();
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicBoolean left = new AtomicBoolean();
    private final java.util.Set<TopicSubscriber> active;
    private volatile Status end;
    /** While history is read for recovery: live messages wait in {@link #held}. */
    private volatile boolean recovering;
    private List<Held> held = new ArrayList<>();
    /** The recovery outcome and the replayed messages, sent before anything queued. */
    private final ConcurrentLinkedQueue<byte[]> replaying = new ConcurrentLinkedQueue<>();
    /** After a recovery: live messages at or before its last replayed position were sent already. */
    private volatile HistoryReplay seam;
    private volatile boolean cancelled;
    private boolean terminated;

    TopicSubscriber(CometContext comet, String topic, String key, Bucket bucket, boolean presenceEvents,
                    int maxBatch, ServerCallStreamObserver<byte[]> observer, java.util.Set<TopicSubscriber> active) {
        this.comet = comet;
        this.topic = topic;
        this.key = key;
        this.bucket = bucket;
        this.presenceEvents = presenceEvents;
        this.observer = observer;
        this.capacity = comet.sendQueueSize;
        this.maxBatch = Math.max(1, Math.min(maxBatch, ResponseBatch.MAX_MESSAGES));
        this.batch = this.maxBatch > 1 ? new ResponseBatch() : null;
        this.active = active;
    }

    String topic() {
        return topic;
    }

    @Override
    public String memberKey() {
        return key;
    }

    @Override
    public long memberMid() {
        return 0;
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
        HistoryReplay.read(comet, topic, since, authorization).thenAccept(this::finishRecovery);
    }

    private synchronized void finishRecovery(HistoryReplay replay) {
        if (replay.recovered) {
            seam = replay;
        }
        // The outcome and the replay go ahead of the queue, paced by flow control like live messages, but not
        // counted against sendQueueSize: a replay may be far longer than the live queue may grow.
        replaying.add(SubscribeResponse.newBuilder().setRecovery(replay.outcome()).build().toByteArray());
        replay.messages.forEach(m -> replaying.add(m.toByteArray()));
        // Held was bounded as the live queue is (per batch), and the queue is empty while recovering.
        for (Held h : held) {
            if (!notAfterSeam(h.message())) {
                queue(h.encoded());
                comet.metrics.queued.increment();
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
        int queued = enqueue(batch, false);
        drain();
        return queued;
    }

    /**
     * Returns the messages queued (not held), for the caller's queue-depth gauge. The bound is checked once per
     * batch: a subscriber with {@code capacity} or more messages still waiting when a batch arrives is too slow,
     * while one batch larger than the room left is queued whole (job's batches are bounded in size).
     */
    private int enqueue(RoomBatch batch, boolean hold) {
        if ((hold ? held.size() : size.get()) >= capacity) {
            overflow(presenceEvents ? batch.messages.size() : batch.clientMessages);
            return 0;
        }
        List<byte[]> encoded = batch.encodedResponses();
        HistoryReplay replay = seam;
        int queued = 0;
        for (int i = 0; i < encoded.size(); i++) {
            if (!presenceEvents && batch.presenceEvent(i)) {
                continue;
            }
            if (replay != null && notAfterSeam(batch.messages.get(i))) {
                continue;
            }
            if (hold) {
                held.add(new Held(batch.messages.get(i), encoded.get(i)));
            } else {
                queue(encoded.get(i));
                queued++;
            }
        }
        return queued;
    }

    private record Held(RoomMessage message, byte[] encoded) {
    }

    /** Already replayed from history: the same epoch at or before the last replayed offset. */
    private boolean notAfterSeam(RoomMessage m) {
        HistoryReplay replay = seam;
        if (replay != null && replay.replayed(m)) {
            comet.metrics.dropDuplicate.increment();
            return true;
        }
        return false;
    }

    /** Queues one serialized response; the caller checked the bound and adds it to the queue-depth gauge. */
    private void queue(byte[] response) {
        size.incrementAndGet();
        queue.offer(response);
    }

    /** Ends the stream as too slow; {@code lost}: the messages of the arriving batch it will not get. */
    private void overflow(int lost) {
        comet.metrics.dropSubscriberOverflow.increment(lost);
        comet.slowLog.warn("ending slow gRPC subscriber of topic {}: {} or more messages still queued when the next"
                + " batch arrived", topic, capacity);
        end(Status.RESOURCE_EXHAUSTED.withDescription("subscriber too slow: " + capacity
                + " or more messages still queued for topic " + topic + " when the next batch arrived"));
    }

    /** Ends the stream with this status (overflow, shutdown); the first end wins. Any thread. */
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

    /** Any thread: sends what is queued; only one thread at a time, the one that raised wip from 0. */
    private void drain() {
        if (wip.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            if (!terminated) {
                if (cancelled || end != null) {
                    terminated = true;
                    int dropped = clear();
                    if (end != null && end.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                        comet.metrics.dropSubscriberOverflow.increment(dropped);
                    } else {
                        comet.metrics.dropClosed.increment(dropped);
                    }
                    if (!cancelled) {
                        observer.onError(end.asRuntimeException());
                    }
                } else {
                    try {
                        send();
                    } catch (RuntimeException e) {
                        // Never expected; without this the stream would stall for good (wip stays raised) and the
                        // exception would end the fan-out of the whole room.
                        comet.protocolLog.warn("ending gRPC subscriber of topic {}: sending failed: {}", topic,
                                e.toString());
                        // end() raises wip, so the next round of this loop ends the stream.
                        end(Status.INTERNAL.withDescription("sending failed").withCause(e));
                    }
                }
            } else {
                clear();
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    /**
     * Sends the replay first, then the queue, while gRPC says the stream is ready: one message per response, or as
     * many as are waiting (up to max_batch) with batching.
     */
    private void send() {
        int replayed = 0;
        int sent = 0;
        byte[] next;
        while (observer.isReady()) {
            int fromReplay = 0;
            int fromQueue = 0;
            while (fromReplay < maxBatch && (next = replaying.peek()) != null && fits(next)) {
                take(replaying.poll());
                fromReplay++;
            }
            while (replaying.isEmpty() && fromReplay + fromQueue < maxBatch && (next = queue.peek()) != null
                    && fits(next)) {
                queue.poll();
                size.decrementAndGet(); // before sending, as the fan-out counts it against the bound
                take(next);
                fromQueue++;
            }
            if (fromReplay + fromQueue == 0) {
                break;
            }
            if (batch != null) {
                observer.onNext(batch.encode());
            }
            replayed += fromReplay;
            sent += fromQueue;
        }
        if (replayed + sent == 0) {
            return;
        }
        comet.metrics.queued.add(-sent); // once per drain, not per message
        comet.metrics.outGrpc.increment(replayed + sent);
    }

    private boolean fits(byte[] response) {
        return batch == null || batch.fits(response);
    }

    /** Sends the response, or adds it to the batch being built. */
    private void take(byte[] response) {
        if (batch == null) {
            observer.onNext(response);
        } else {
            batch.add(response);
        }
    }

    private int clear() {
        int n = 0;
        while (replaying.poll() != null) {
            n++;
        }
        int queued = 0;
        while (queue.poll() != null) {
            queued++;
        }
        size.addAndGet(-queued);
        comet.metrics.queued.add(-queued);
        return n + queued;
    }
}
