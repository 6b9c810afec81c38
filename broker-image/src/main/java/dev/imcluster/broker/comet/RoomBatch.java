package dev.imcluster.broker.comet;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.pubsub.PresenceEvent;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import dev.imcluster.broker.protocol.FrameCodec;
import dev.imcluster.broker.protocol.Op;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import dev.imcluster.broker.history.Publications;
import dev.imcluster.broker.session.Presence;
import java.util.ArrayList;
import java.util.List;

/**
 * The messages of one BroadcastRoom call, encoded ONCE as a single Raw (op 9) frame whose body holds one frame
 * per message (op = the message's operation). Every goim member gets a derived view of the same buffer; gRPC
 * subscribers get each message with its id, position, publish time and headers. Presence events (see
 * {@link Presence}) are left out of the Raw frame: only gRPC subscribers that asked for them get them.
 */
final class RoomBatch {
    /** The Raw frame: 16-byte header, then the inner frames. Released by the owner after the fan-out. */
    final SharedFrame raw;
    final List<RoomMessage> messages;
    /** How many of the messages are in {@link #raw} (all but presence events); goim clients get nothing when 0. */
    final int clientMessages;
    /** The messages as serialized Subscribe responses, built once for all gRPC subscribers (single fan-out thread). */
    private List<byte[]> responses;

    private RoomBatch(SharedFrame raw, List<RoomMessage> messages, int clientMessages) {
        this.raw = raw;
        this.messages = messages;
        this.clientMessages = clientMessages;
    }

    static boolean isPresenceEvent(RoomMessage m) {
        return Presence.isEvent(m.getHeadersMap());
    }

    /**
     * A presence event as a response: only {@code presence_event}, id and headers are set. It has no position,
     * so a subscriber never resumes from one (events are not in history).
     */
    private static SubscribeResponse presenceEvent(RoomMessage m) {
        SubscribeResponse.Builder r = SubscribeResponse.newBuilder().setId(m.getMsgId())
                .putAllHeaders(m.getHeadersMap());
        try {
            r.setPresenceEvent(PresenceEvent.parseFrom(m.getBody()));
        } catch (InvalidProtocolBufferException e) {
            r.setPresenceEvent(PresenceEvent.getDefaultInstance()); // type unspecified: not written by logic
        }
        return r.build();
    }

    List<byte[]> encodedResponses() {
        if (responses == null) {
            List<byte[]> list = new ArrayList<>(messages.size());
            for (RoomMessage m : messages) {
                list.add((isPresenceEvent(m) ? presenceEvent(m) : Publications.response(m)).toByteArray());
            }
            responses = list;
        }
        return responses;
    }

    static RoomBatch encode(ByteBufAllocator alloc, List<RoomMessage> messages) {
        int bodyLen = 0;
        int clientMessages = 0;
        for (RoomMessage m : messages) {
            if (!isPresenceEvent(m)) {
                bodyLen += FrameCodec.HEADER_SIZE + m.getBody().size();
                clientMessages++;
            }
        }
        ByteBuf raw = alloc.directBuffer(FrameCodec.HEADER_SIZE + bodyLen);
        FrameCodec.writeHeader(raw, bodyLen, 1, Op.RAW, 0);
        for (RoomMessage m : messages) {
            if (!isPresenceEvent(m)) {
                FrameCodec.writeHeader(raw, m.getBody().size(), 1, m.getOperation(), 0);
                raw.writeBytes(m.getBody().asReadOnlyByteBuffer());
            }
        }
        return new RoomBatch(new SharedFrame(raw, true, alloc), messages, clientMessages);
    }
}
