package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.List;

/**
 * The broker's delivery section, which every role reads: room history per pattern, and how comets drop
 * redeliveries. Bounds are those of the broker's config validator.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.history) || self.history.all(h, self.history.exists_one(o, o.pattern == h.pattern))",
        message = DeliverySpec.PATTERN_TWICE)
@ValidationRule(value = "!has(self.presence) || self.presence.all(p, size(p) >= 1 && size(p) <= "
        + DeliverySpec.History.MAX_PATTERN_LENGTH + ")", message = DeliverySpec.PRESENCE_PATTERN_LENGTH)
public class DeliverySpec {
    public static final String PRESENCE_PATTERN_LENGTH = "delivery.presence patterns must have 1 to "
            + History.MAX_PATTERN_LENGTH + " characters each";
    public static final String PATTERN_TWICE = "delivery.history lists a pattern more than once (the first would always"
            + " win)";
    public static final int MAX_HISTORY = 64;

    @JsonPropertyDescription("History per room pattern; the first pattern that matches a room wins, and a room no "
            + "pattern matches keeps no history. Default: none.")
    @Size(max = MAX_HISTORY)
    public List<History> history;

    @JsonPropertyDescription("Rooms whose members are listed by the Presence RPC and announced by join/leave events, "
            + "as patterns like those of history. Default: none (member lists cost more than online counts).")
    @Size(max = MAX_HISTORY)
    public List<String> presence;

    @JsonPropertyDescription("How comets drop redeliveries of messages without history, by message id.")
    public Dedupe dedupe;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "!has(self.ttl) || self.ttl.matches('" + Durations.NONZERO + "')",
            message = History.TTL_NOT_POSITIVE)
    public static class History {
        public static final String TTL_NOT_POSITIVE = "ttl must be a positive duration (such as 5m)";
        public static final int MAX_PATTERN_LENGTH = 256;
        public static final int DEFAULT_SIZE = 100;
        public static final String DEFAULT_TTL = "5m";

        @JsonPropertyDescription("The full room id with '*' matching any run of characters, such as 'live://*' or "
                + "'chat://team-*'; '*' alone matches every room.")
        @Required
        @Size(min = 1, max = MAX_PATTERN_LENGTH)
        public String pattern;

        @JsonPropertyDescription("At most this many messages per room are kept (the oldest go first).")
        @Min(1)
        @Max(1_000_000)
        @Default("" + DEFAULT_SIZE)
        public Integer size;

        @JsonPropertyDescription("A message is kept at most this long after it was published (a positive duration "
                + "such as 5m).")
        @Pattern(Durations.PATTERN)
        @Size(max = Durations.MAX_LENGTH)
        @Default(DEFAULT_TTL)
        public String ttl;

        public History() {
        }

        public History(String pattern, Integer size, String ttl) {
            this.pattern = pattern;
            this.size = size;
            this.ttl = ttl;
        }

        public int sizeOrDefault() {
            return size == null ? DEFAULT_SIZE : size;
        }

        public String ttlOrDefault() {
            return ttl == null ? DEFAULT_TTL : ttl;
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "!has(self.window) || self.window.matches('" + Durations.NONZERO + "')",
            message = Dedupe.WINDOW_NOT_POSITIVE)
    public static class Dedupe {
        public static final String WINDOW_NOT_POSITIVE = "delivery.dedupe.window must be a positive duration (such as"
                + " 5m)";
        public static final String DEFAULT_WINDOW = "5m";
        public static final int DEFAULT_MAX_IDS = 1 << 22;

        @JsonPropertyDescription("How long a message id is remembered: longer than any redelivery takes (the queue's "
                + "redelivery timeout). A positive duration such as 5m.")
        @Pattern(Durations.PATTERN)
        @Size(max = Durations.MAX_LENGTH)
        @Default(DEFAULT_WINDOW)
        public String window;

        @JsonPropertyDescription("At most this many ids are remembered per comet (about 24 bytes each, allocated as they arrive); 0 remembers "
                + "none.")
        @Min(0)
        @Max(1 << 26)
        @Default("" + DEFAULT_MAX_IDS)
        public Integer maxIds;

        /** window of {@code dedupe} (null: every default). */
        public static String windowOf(Dedupe dedupe) {
            return dedupe == null || dedupe.window == null ? DEFAULT_WINDOW : dedupe.window;
        }

        /** maxIds of {@code dedupe} (null: every default). */
        public static int maxIdsOf(Dedupe dedupe) {
            return dedupe == null || dedupe.maxIds == null ? DEFAULT_MAX_IDS : dedupe.maxIds;
        }
    }
}
