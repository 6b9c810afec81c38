package dev.imcluster.broker.security;

import com.fasterxml.jackson.databind.JsonNode;
import dev.imcluster.broker.config.RoomPattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What a client may do with topics (rooms), from its JWT's {@value #CLAIM} claim:
 * {@code {"subscribe": ["live://*"], "publish": ["chat://a"]}}, patterns as {@link RoomPattern} reads them
 * ({@code *} any run of characters). Subscribe also covers joining a room (goim Auth, ChangeRoom, RESUME),
 * History and Presence: each shows the room's messages or members. A token without the claim may do everything,
 * unless {@code logic.auth.requirePermissions}, which makes it nothing. Immutable.
 */
public final class Permissions {
    /** A private claim, named after the product so it cannot collide with an identity provider's own claims. */
    public static final String CLAIM = "imcluster";

    /** No claim and nothing required: goim mode, internal callers, tokens issued before permissions existed. */
    public static final Permissions ALL = new Permissions(null, null, List.of(), List.of());
    /** No claim, but {@code logic.auth.requirePermissions}. */
    public static final Permissions NONE = new Permissions(List.of(), List.of(), List.of(), List.of());

    /** What a client asked to do with a topic: the {@code action} tag of the denial metrics. */
    public enum Action {
        /** gRPC Subscribe. */
        SUBSCRIBE,
        /** gRPC Publish. */
        PUBLISH,
        /** gRPC History. */
        HISTORY,
        /** gRPC Presence. */
        PRESENCE,
        /** goim Auth's room_id. */
        JOIN,
        /** goim ChangeRoom (op 12). */
        CHANGE_ROOM,
        /** goim RESUME (op 22). */
        RESUME;

        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Only Publish needs the publish list; the rest show a room's content and need the subscribe list. */
        boolean publishes() {
            return this == PUBLISH;
        }
    }

    /** Null: unrestricted. */
    private final List<Pattern> subscribe;
    private final List<Pattern> publish;
    private final List<String> subscribePatterns;
    private final List<String> publishPatterns;

    private Permissions(List<Pattern> subscribe, List<Pattern> publish, List<String> subscribePatterns,
                        List<String> publishPatterns) {
        this.subscribe = subscribe;
        this.publish = publish;
        this.subscribePatterns = subscribePatterns;
        this.publishPatterns = publishPatterns;
    }

    /** Restricted to these patterns (as carried in logic's Connect reply to comet). */
    public static Permissions of(List<String> subscribe, List<String> publish) {
        return new Permissions(compile(subscribe), compile(publish), List.copyOf(subscribe), List.copyOf(publish));
    }

    /**
     * The permissions of verified claims. A claim that is not an object of string lists refuses the token
     * ({@code malformed}); a list left out of the claim allows nothing of that kind.
     */
    public static Permissions fromClaims(JsonNode claims, boolean required) throws AuthException {
        JsonNode claim = claims.get(CLAIM);
        if (claim == null) {
            return required ? NONE : ALL;
        }
        if (!claim.isObject()) {
            throw JwtRefusal.MALFORMED.refuse("the '" + CLAIM + "' claim must be an object "
                    + "{\"subscribe\": [patterns], \"publish\": [patterns]}");
        }
        return of(patterns(claim, "subscribe"), patterns(claim, "publish"));
    }

    private static List<String> patterns(JsonNode claim, String field) throws AuthException {
        JsonNode list = claim.get(field);
        List<String> patterns = new ArrayList<>();
        if (list == null) {
            return patterns;
        }
        if (!list.isArray()) {
            throw JwtRefusal.MALFORMED.refuse("'" + CLAIM + "." + field + "' must be a list of topic patterns");
        }
        for (JsonNode p : list) {
            if (!p.isTextual() || p.asText().isEmpty()) {
                throw JwtRefusal.MALFORMED.refuse("'" + CLAIM + "." + field
                        + "' must hold non-empty strings (topic patterns such as \"live://*\")");
            }
            patterns.add(p.asText());
        }
        return patterns;
    }

    private static List<Pattern> compile(List<String> patterns) {
        return patterns.stream().map(RoomPattern::glob).toList();
    }

    /** True unless the claim (or requirePermissions) restricts this client. */
    public boolean unrestricted() {
        return subscribe == null;
    }

    /** Whether {@code action} on {@code topic} is allowed. */
    public boolean allows(Action action, String topic) {
        List<Pattern> patterns = action.publishes() ? publish : subscribe;
        return patterns == null || patterns.stream().anyMatch(p -> p.matcher(topic).matches());
    }

    /** The refusal's text for the client: the action, the topic and the claim that would allow it. */
    public static String denial(Action action, String topic) {
        String list = action.publishes() ? "publish" : "subscribe";
        return "not permitted to " + action.tag().replace('_', ' ') + " '" + topic + "': no pattern in the token's '"
                + CLAIM + "." + list + "' claim matches it";
    }

    public List<String> subscribePatterns() {
        return subscribePatterns;
    }

    public List<String> publishPatterns() {
        return publishPatterns;
    }

    @Override
    public String toString() {
        return unrestricted() ? "all" : "subscribe " + subscribePatterns + ", publish " + publishPatterns;
    }
}
