package dev.imcluster.broker.comet;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Room delivery for a goim connection that opted in to positions (op POSITIONS or RESUME); a connection that never
 * does has none of this, and its frames are exactly goim's. Every room batch is followed by the batch's shared
 * POSITION_MARK. A RESUME joins the room at once but holds its live batches while logic reads history after the
 * client's position (as {@link TopicSubscriber#startRecovering} does), then queues RESUME_REPLY, the missed
 * messages as Raw batches, and the held live messages after the seam, each batch followed by its mark; later
 * live messages at or before the seam (already replayed) are dropped, once, and counted.
 *
 * <p>Threading: {@link #deliver} runs on fan-out threads, the rest on the connection's event loop; a resume's
 * hand-over from held to live is guarded by this object's lock.
 */
final class ConnectionPositions {
    /** Messages per replayed Raw frame: a few frames for a long replay, each well under a socket buffer. */
    private static final int REPLAY_BATCH = 64;
    private static final AtomicReferenceFieldUpdater<ConnectionPositions, HistoryReplay> SEAM =
            AtomicReferenceFieldUpdater.newUpdater(ConnectionPositions.class, HistoryReplay.class, "seam");

    private final Connection connection;
    private final CometContext comet;
    /** A RESUME reading history: live batches of its room wait in it. */
    private volatile Resuming resuming;
    /** After a RESUME: live messages of its room at or before the last replayed position were sent already. */
    private volatile HistoryReplay seam;

    /** One RESUME in progress: its room, its frame's ver and seq (echoed in the reply) and the held live messages. */
    static final class Resuming {
        final String room;
        final int ver;
        final int seq;
        final List<RoomMessage> held = new ArrayList<>();

        Resuming(String room, int ver, int seq) {
            this.room = room;
            this.ver = ver;
            this.seq = seq;
        }
    }

    ConnectionPositions(Connection connection, CometContext comet) {
        this.connection = connection;
        this.comet = comet;
    }

    boolean resuming() {
        return resuming != null;
    }

    /** Starts holding live batches of {@code room}; call before joining it, so nothing reaches the client early. */
    synchronized Resuming startResume(String room, int ver, int seq) {
        Resuming r = new Resuming(room, ver, seq);
        resuming = r;
        seam = null;
        return r;
    }

    /** The connection changed rooms or closed: a RESUME in progress is abandoned, its held messages dropped. */
    synchronized void forgetRoom() {
        resuming = null;
        seam = null;
    }

    /** A room batch for this connection; returns the frames queued, for the caller's gauge. Any thread. */
    int deliver(RoomBatch batch) {
        Resuming r = resuming;
        if (r != null && r.room.equals(batch.room)) {
            synchronized (this) {
                if (resuming == r) {
                    hold(r, batch.messages);
                    return 0;
                }
            }
        }
        HistoryReplay s = seam;
        if (s != null && s.room.equals(batch.room)) {
            if (!s.pastSeam(batch.messages.get(0))) {
                return push(batch.room, notReplayed(s, batch.messages), RoomMessage::getOperation, RoomMessage::getBody,
                        RoomMessage::getOffset, RoomMessage::getEpoch);
            }
            SEAM.compareAndSet(this, s, null); // offsets only grow: no later batch reaches back past the seam
        }
        if (!connection.pushShared(batch.raw)) {
            return 0;
        }
        SharedFrame mark = batch.positionMark();
        return mark != null && connection.pushShared(mark) ? 2 : 1;
    }

    private void hold(Resuming r, List<RoomMessage> messages) {
        if (r.held.size() >= comet.sendQueueSize) {
            // The client is as far behind as a slow consumer: treated as one. Checked per batch, as live queues are.
            comet.metrics.dropSlowConsumer.increment(r.held.size() + messages.size());
            r.held.clear();
            connection.slowConsumer();
            return;
        }
        r.held.addAll(messages);
    }

    /** History was read (event loop): queues the reply, the replay and the held live messages, in this order. */
    void finishResume(Resuming r, HistoryReplay replay) {
        int queued = 0;
        synchronized (this) {
            if (resuming != r) {
                return; // abandoned: the connection changed rooms or closed meanwhile
            }
            if (!connection.closed()) {
                ByteBuf reply = PositionFrames.resumeReply(comet.alloc, r.ver, r.seq, replay);
                queued += pushOne(new SharedFrame(reply, false, comet.alloc));
                queued += push(r.room, replay.messages, SubscribeResponse::getOperation, SubscribeResponse::getPayload,
                        SubscribeResponse::getOffset, SubscribeResponse::getEpoch);
                queued += push(r.room, notReplayed(replay, r.held), RoomMessage::getOperation, RoomMessage::getBody,
                        RoomMessage::getOffset, RoomMessage::getEpoch);
            }
            if (replay.recovered) {
                seam = replay;
            }
            resuming = null; // after the seam is set: a batch that sees no resume sees the seam
        }
        comet.metrics.queued.add(queued);
    }

    private List<RoomMessage> notReplayed(HistoryReplay replay, List<RoomMessage> messages) {
        List<RoomMessage> fresh = new ArrayList<>(messages.size());
        for (RoomMessage m : messages) {
            if (replay.replayed(m)) {
                comet.metrics.dropDuplicate.increment();
            } else {
                fresh.add(m);
            }
        }
        return fresh;
    }

    /** Queues messages as Raw frames of up to {@link #REPLAY_BATCH}, each followed by its POSITION_MARK. */
    private <T> int push(String room, List<T> messages, ToIntFunction<T> operation, Function<T, ByteString> body,
                         java.util.function.ToLongFunction<T> offset, Function<T, String> epoch) {
        int queued = 0;
        for (int from = 0; from < messages.size(); from += REPLAY_BATCH) {
            List<T> chunk = messages.subList(from, Math.min(messages.size(), from + REPLAY_BATCH));
            if (pushOne(new SharedFrame(RoomBatch.raw(comet.alloc, chunk, operation, body), true, comet.alloc)) == 0) {
                return queued;
            }
            queued++;
            T last = chunk.get(chunk.size() - 1);
            String lastEpoch = epoch.apply(last);
            if (!lastEpoch.isEmpty()) {
                queued += pushOne(new SharedFrame(PositionFrames.mark(comet.alloc, room,
                        offset.applyAsLong(last), lastEpoch), false, comet.alloc));
            }
        }
        return queued;
    }

    private int pushOne(SharedFrame frame) {
        try {
            return connection.pushShared(frame) ? 1 : 0;
        } finally {
            frame.release();
        }
    }
}
