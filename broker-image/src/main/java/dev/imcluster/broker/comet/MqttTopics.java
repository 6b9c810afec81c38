package dev.imcluster.broker.comet;

/**
 * How MQTT topic names and filters name comet's rooms (docs/MQTT.md): {@code room/<type>/<id>} is goim's
 * room {@code <type>://<id>}, {@code topic/<name>} is the gRPC topic {@code <name>} (a topic is a room, so
 * {@code topic/live://1} and {@code room/live/1} are the same room). Rooms are matched exactly, so a filter with a
 * wildcard ({@code +}, {@code #}) is refused, and so is anything else ({@code $share/...}, other prefixes).
 */
final class MqttTopics {
    static final String ROOM_PREFIX = "room/";
    static final String TOPIC_PREFIX = "topic/";

    /** A filter or name as a room, or why not: exactly one of the two is set. */
    record Mapping(String room, Refusal refusal) {
    }

    enum Refusal {
        /** {@code +} or {@code #}: the metric's reason label. */
        WILDCARD("wildcard"),
        /** Not {@code room/<type>/<id>} or {@code topic/<name>}. */
        TOPIC_INVALID("topic_invalid");

        final String tag;

        Refusal(String tag) {
            this.tag = tag;
        }
    }

    private MqttTopics() {
    }

    static Mapping room(String mqtt) {
        if (mqtt.indexOf('+') >= 0 || mqtt.indexOf('#') >= 0) {
            return new Mapping(null, Refusal.WILDCARD);
        }
        if (mqtt.startsWith(ROOM_PREFIX)) {
            String rest = mqtt.substring(ROOM_PREFIX.length());
            int slash = rest.indexOf('/');
            if (slash > 0 && slash < rest.length() - 1) {
                return new Mapping(rest.substring(0, slash) + "://" + rest.substring(slash + 1), null);
            }
        } else if (mqtt.startsWith(TOPIC_PREFIX) && mqtt.length() > TOPIC_PREFIX.length()) {
            return new Mapping(mqtt.substring(TOPIC_PREFIX.length()), null);
        }
        return new Mapping(null, Refusal.TOPIC_INVALID);
    }
}
