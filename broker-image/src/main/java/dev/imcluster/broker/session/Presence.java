package dev.imcluster.broker.session;

import dev.imcluster.broker.config.RoomPattern;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Room presence (delivery.presence): which rooms track their members, and how a join/leave event travels. An
 * event is a room message flagged by the {@value #EVENT_HEADER} header ("join" or "leave") whose body is a
 * serialized PresenceEvent: job fans it out like any room message but never appends it to history, and comets
 * hand it only to gRPC subscribers that asked for presence events.
 */
public final class Presence {
    public static final String EVENT_HEADER = "imcluster-presence";
    public static final String JOIN = "join";
    public static final String LEAVE = "leave";

    private final List<Pattern> patterns;

    public Presence(List<String> patterns) {
        this.patterns = patterns.stream().map(RoomPattern::glob).toList();
    }

    /** True when a delivery.presence pattern matches the room. */
    public boolean tracks(String room) {
        for (Pattern p : patterns) {
            if (p.matcher(room).matches()) {
                return true;
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return patterns.isEmpty();
    }

    /** True for a room message that is a presence event (by its headers). */
    public static boolean isEvent(Map<String, String> headers) {
        return !headers.isEmpty() && headers.containsKey(EVENT_HEADER);
    }
}
