package dev.imcluster.broker.comet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imcluster.broker.api.pubsub.StreamPosition;
import dev.imcluster.broker.protocol.FrameCodec;
import dev.imcluster.broker.protocol.Op;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * The JSON bodies of imcluster's goim extension (ops 20 to 23, see {@link Op#POSITIONS}). Offsets are written as
 * decimal strings: they are unsigned 64-bit (Redis Streams offsets pass 2^53), which a JavaScript number would
 * round. RESUME accepts the offset as such a string or as a JSON integer. Also the body of a reply to a room the
 * token does not permit (Auth, ChangeRoom, RESUME).
 */
final class PositionFrames {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A parsed RESUME body. */
    record Resume(String room, StreamPosition since) {
    }

    private PositionFrames() {
    }

    /** A whole POSITION_MARK frame: {@code {"room","offset","epoch"}}. */
    static ByteBuf mark(ByteBufAllocator alloc, String room, long offset, String epoch) {
        ObjectNode body = JSON.createObjectNode().put("room", room).put("offset", Long.toUnsignedString(offset))
                .put("epoch", epoch);
        return FrameCodec.encode(alloc, 1, Op.POSITION_MARK, 0, bytes(body));
    }

    /**
     * A whole RESUME_REPLY frame: {@code {"recovered","reason","replayed","offset","epoch"}}, offset and epoch
     * being the room's latest position when history was read (empty epoch: unknown or nothing published).
     */
    static ByteBuf resumeReply(ByteBufAllocator alloc, int ver, int seq, HistoryReplay replay) {
        ObjectNode body = JSON.createObjectNode().put("recovered", replay.recovered).put("reason", replay.reason)
                .put("replayed", replay.messages.size())
                .put("offset", Long.toUnsignedString(replay.latest.getOffset()))
                .put("epoch", replay.latest.getEpoch());
        return FrameCodec.encode(alloc, ver, Op.RESUME_REPLY, seq, bytes(body));
    }

    /**
     * The body of an Auth or ChangeRoom reply whose room the token does not permit:
     * {@code {"code":403,"message","room"}}, room being the one the connection is (still) in, empty for none.
     */
    static byte[] permissionDenied(String message, String room) {
        return bytes(denied(message, room));
    }

    /** A RESUME_REPLY refusing the room: the denial's fields, not recovered, nothing replayed. */
    static ByteBuf resumeDenied(ByteBufAllocator alloc, int ver, int seq, String message, String room) {
        ObjectNode body = denied(message, room).put("recovered", false).put("reason", "permission denied")
                .put("replayed", 0);
        return FrameCodec.encode(alloc, ver, Op.RESUME_REPLY, seq, bytes(body));
    }

    private static ObjectNode denied(String message, String room) {
        return JSON.createObjectNode().put("code", 403).put("message", message).put("room", room);
    }

    /** Parses a RESUME body; the exception's message says what is wrong with it. */
    static Resume parseResume(String body) {
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("body is not JSON: " + e.getOriginalMessage());
        }
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("body is not a JSON object");
        }
        JsonNode room = json.get("room");
        if (room == null || !room.isTextual() || room.asText().isEmpty()) {
            throw new IllegalArgumentException("\"room\" must be a non-empty string");
        }
        JsonNode epoch = json.get("epoch");
        if (epoch == null || !epoch.isTextual() || epoch.asText().isEmpty()) {
            throw new IllegalArgumentException("\"epoch\" must be a non-empty string (from a POSITION_MARK)");
        }
        return new Resume(room.asText(), StreamPosition.newBuilder().setOffset(offset(json.get("offset")))
                .setEpoch(epoch.asText()).build());
    }

    private static long offset(JsonNode offset) {
        String digits = offset == null ? null : offset.isTextual() ? offset.asText()
                : offset.isIntegralNumber() ? offset.bigIntegerValue().toString() : null;
        if (digits != null && !digits.isEmpty() && digits.chars().allMatch(Character::isDigit)) {
            try {
                return Long.parseUnsignedLong(digits);
            } catch (NumberFormatException tooBig) {
                // reported below
            }
        }
        throw new IllegalArgumentException("\"offset\" must be an unsigned 64-bit integer or a string of one");
    }

    private static byte[] bytes(ObjectNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // a tree of strings and numbers always serializes
        }
    }
}
