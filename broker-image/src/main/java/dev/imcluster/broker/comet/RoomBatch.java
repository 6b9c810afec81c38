package dev.imcluster.broker.comet;

import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.protocol.FrameCodec;
import dev.imcluster.broker.protocol.Op;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import dev.imcluster.broker.history.Publications;
import java.util.ArrayList;
import java.util.List;

/**
 * The messages of one BroadcastRoom call, encoded ONCE as a single Raw (op 9) frame whose body holds one frame
 * per message (op = the message's operation). Every goim member gets a derived view of the same buffer; gRPC
 * subscribers get each message with its id, position, publish time and headers.
 */
final class RoomBatch {
    /** The Raw frame: 16-byte header, then the inner frames. Released by the owner after the fan-out. */
    final SharedFrame raw;
    final List<RoomMessage> messages;
    /** The messages as serialized Subscribe responses, built once for all gRPC subscribers (single fan-out thread). */
    private List<byte[]> responses;

    private RoomBatch(SharedFrame raw, List<RoomMessage> messages) {
        this.raw = raw;
        this.messages = messages;
    }

    List<byte[]> encodedResponses() {
        if (responses == null) {
            List<byte[]> list = new ArrayList<>(messages.size());
            for (RoomMessage m : messages) {
                list.add(Publications.response(m).toByteArray());
            }
            responses = list;
        }
        return responses;
    }

    static RoomBatch encode(ByteBufAllocator alloc, List<RoomMessage> messages) {
        int bodyLen = 0;
        for (RoomMessage m : messages) {
            bodyLen += FrameCodec.HEADER_SIZE + m.getBody().size();
        }
        ByteBuf raw = alloc.directBuffer(FrameCodec.HEADER_SIZE + bodyLen);
        FrameCodec.writeHeader(raw, bodyLen, 1, Op.RAW, 0);
        for (RoomMessage m : messages) {
            FrameCodec.writeHeader(raw, m.getBody().size(), 1, m.getOperation(), 0);
            raw.writeBytes(m.getBody().asReadOnlyByteBuffer());
        }
        return new RoomBatch(new SharedFrame(raw, true, alloc), messages);
    }
}
