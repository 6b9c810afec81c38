package dev.imcluster.broker.comet;

import com.google.protobuf.CodedOutputStream;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Serialized SubscribeResponses packed into one response's repeated {@code batch} field (Subscribe's
 * {@code max_batch}). The parts are already serialized once per message for every subscriber, so a batch is their
 * concatenation, each behind the field's tag and length: one gRPC message and one HTTP/2 frame instead of many.
 */
final class ResponseBatch {
    /** A batch stops before this size, so that it stays under gRPC's default 4 MiB inbound limit with room to spare. */
    static final int MAX_BYTES = 1 << 20;
    /** The most messages a subscriber may ask for per response. */
    static final int MAX_MESSAGES = 1024;
    private static final int TAG = (SubscribeResponse.BATCH_FIELD_NUMBER << 3) | 2; // length-delimited

    private final List<byte[]> parts = new ArrayList<>();
    private int bytes;

    /** Whether the part may join: the first always does, later ones while the batch stays under {@link #MAX_BYTES}. */
    boolean fits(byte[] part) {
        return parts.isEmpty() || bytes + encodedSize(part) <= MAX_BYTES;
    }

    void add(byte[] part) {
        parts.add(part);
        bytes += encodedSize(part);
    }

    int size() {
        return parts.size();
    }

    /** The carrying response's bytes; the batch is empty afterwards, ready for reuse. */
    byte[] encode() {
        byte[] out = new byte[bytes];
        CodedOutputStream stream = CodedOutputStream.newInstance(out);
        try {
            for (byte[] part : parts) {
                stream.writeUInt32NoTag(TAG);
                stream.writeUInt32NoTag(part.length);
                stream.writeRawBytes(part);
            }
            stream.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen: the array is sized exactly
        }
        parts.clear();
        bytes = 0;
        return out;
    }

    private static int encodedSize(byte[] part) {
        return CodedOutputStream.computeUInt32SizeNoTag(TAG) + CodedOutputStream.computeUInt32SizeNoTag(part.length)
                + part.length;
    }
}
