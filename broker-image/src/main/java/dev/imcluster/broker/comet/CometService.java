package dev.imcluster.broker.comet;

import dev.imcluster.broker.api.internal.BroadcastReply;
import dev.imcluster.broker.api.internal.BroadcastReq;
import dev.imcluster.broker.api.internal.BroadcastRoomReply;
import dev.imcluster.broker.api.internal.BroadcastRoomReq;
import dev.imcluster.broker.api.internal.CometGrpc;
import dev.imcluster.broker.api.internal.PushMsgReply;
import dev.imcluster.broker.api.internal.PushMsgReq;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.internal.RoomsReply;
import dev.imcluster.broker.api.internal.RoomsReq;
import dev.imcluster.broker.api.protocol.Proto;
import dev.imcluster.broker.protocol.FrameCodec;
import dev.imcluster.broker.protocol.Op;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * comet's internal gRPC service, called by job (goim's comet.proto). Each message is encoded once and every
 * recipient gets a view of the same buffer; messages whose msg_id was seen recently are dropped.
 */
final class CometService extends CometGrpc.CometImplBase {
    private final CometContext comet;

    CometService(CometContext comet) {
        this.comet = comet;
    }

    @Override
    public void pushMsg(PushMsgReq req, StreamObserver<PushMsgReply> response) {
        comet.metrics.inPush.increment();
        if (isRepeat(req.getMsgId())) {
            done(response, PushMsgReply.getDefaultInstance());
            return;
        }
        SharedFrame frame = encode(req.getProto());
        try {
            int queued = 0;
            for (String key : req.getKeysList()) {
                Connection s = comet.buckets.connection(key);
                if (s != null && s.accepts(req.getProtoOp()) && s.pushShared(frame)) {
                    queued++;
                }
            }
            comet.metrics.queued.add(queued);
        } finally {
            frame.release();
        }
        comet.metrics.latency(req.getPublishedAtMicros());
        done(response, PushMsgReply.getDefaultInstance());
    }

    @Override
    public void broadcast(BroadcastReq req, StreamObserver<BroadcastReply> response) {
        comet.metrics.inBroadcast.increment();
        if (isRepeat(req.getMsgId())) {
            done(response, BroadcastReply.getDefaultInstance());
            return;
        }
        SharedFrame frame = encode(req.getProto());
        int op = req.getProtoOp();
        try {
            // goim paces a broadcast by `speed`; comet writes through bounded per-connection queues instead.
            LongAdder queued = new LongAdder();
            comet.buckets.forEachConnection(s -> {
                if (s.accepts(op) && s.pushShared(frame)) {
                    queued.increment(); // uncontended: one fan-out thread
                }
            });
            comet.metrics.queued.add(queued.sum());
        } finally {
            frame.release();
        }
        comet.metrics.latency(req.getPublishedAtMicros());
        done(response, BroadcastReply.getDefaultInstance());
    }

    @Override
    public void broadcastRoom(BroadcastRoomReq req, StreamObserver<BroadcastRoomReply> response) {
        if (req.getRoomId().isEmpty()) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("room_id must be set").asRuntimeException());
            return;
        }
        comet.metrics.inRoom.increment(req.getMessagesCount());
        List<RoomMessage> fresh = new ArrayList<>(req.getMessagesCount());
        for (RoomMessage m : req.getMessagesList()) {
            if (!isRepeat(m.getMsgId())) {
                fresh.add(m);
            }
        }
        if (!fresh.isEmpty()) {
            comet.metrics.roomBatches.increment();
            RoomBatch batch = RoomBatch.encode(comet.alloc, req.getRoomId(), fresh);
            try {
                comet.buckets.deliverToRoom(req.getRoomId(), batch, comet.metrics);
            } finally {
                batch.release();
            }
            for (RoomMessage m : fresh) {
                comet.metrics.latency(m.getPublishedAtMicros());
            }
        }
        done(response, BroadcastRoomReply.getDefaultInstance());
    }

    @Override
    public void rooms(RoomsReq req, StreamObserver<RoomsReply> response) {
        RoomsReply.Builder reply = RoomsReply.newBuilder();
        comet.buckets.roomCounts().keySet().forEach(room -> reply.putRooms(room, true));
        done(response, reply.build());
    }

    private boolean isRepeat(String msgId) {
        if (comet.dedupe.firstSeen(msgId)) {
            return false;
        }
        comet.metrics.dedupeHits.increment();
        comet.metrics.dropDuplicate.increment();
        return true;
    }

    /** The frame as the client sees it; a Raw proto's body already holds whole frames (as job builds it). */
    private SharedFrame encode(Proto proto) {
        ByteBuf frame = comet.alloc.directBuffer(FrameCodec.HEADER_SIZE + proto.getBody().size());
        FrameCodec.writeHeader(frame, proto.getBody().size(), proto.getVer(), proto.getOp(), proto.getSeq());
        frame.writeBytes(proto.getBody().asReadOnlyByteBuffer());
        return new SharedFrame(frame, proto.getOp() == Op.RAW, comet.alloc);
    }

    private static <T> void done(StreamObserver<T> response, T reply) {
        response.onNext(reply);
        response.onCompleted();
    }
}
