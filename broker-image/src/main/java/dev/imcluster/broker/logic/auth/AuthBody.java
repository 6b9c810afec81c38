package dev.imcluster.broker.logic.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.imcluster.broker.security.AuthException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** goim's Auth JSON {@code {mid, key, room_id, platform, accepts, token}}, parsed leniently as goim does. */
record AuthBody(long mid, String key, String roomId, String platform, List<Integer> accepts, String token) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static AuthBody parse(byte[] body) throws AuthException {
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (IOException e) {
            throw new AuthException("the Auth body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw new AuthException("the Auth body must be a JSON object");
        }
        return new AuthBody(mid(node.get("mid")), text(node, "key"), text(node, "room_id"), text(node, "platform"),
                accepts(node.get("accepts")), text(node, "token"));
    }

    static long mid(JsonNode mid) throws AuthException {
        if (mid == null || mid.isNull()) {
            return 0;
        }
        if (mid.canConvertToLong() && mid.isIntegralNumber()) {
            return mid.asLong();
        }
        if (mid.isTextual() && mid.asText().matches("-?\\d{1,19}")) {
            return Long.parseLong(mid.asText());
        }
        throw new AuthException("mid must be an integer");
    }

    static List<Integer> accepts(JsonNode accepts) throws AuthException {
        List<Integer> ops = new ArrayList<>();
        if (accepts == null || accepts.isNull()) {
            return ops;
        }
        if (!accepts.isArray()) {
            throw new AuthException("accepts must be a list of operations");
        }
        for (JsonNode op : accepts) {
            if (!op.isInt()) {
                throw new AuthException("accepts must be a list of integer operations");
            }
            ops.add(op.asInt());
        }
        return ops;
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? "" : v.asText();
    }
}
