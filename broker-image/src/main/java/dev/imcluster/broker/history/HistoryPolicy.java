package dev.imcluster.broker.history;

import dev.imcluster.broker.config.DeliveryConfig;
import dev.imcluster.broker.config.RoomPattern;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** How much history a room keeps: the first delivery.history pattern that matches its id. */
public record HistoryPolicy(String pattern, int size, Duration ttl) {

    /** The configured patterns, compiled once. */
    public static final class Rules {
        private record Rule(Pattern regex, HistoryPolicy policy) {
        }

        private final List<Rule> rules = new ArrayList<>();

        public Rules(List<DeliveryConfig.History> history) {
            for (DeliveryConfig.History h : history) {
                rules.add(new Rule(RoomPattern.glob(h.pattern), new HistoryPolicy(h.pattern, h.size, h.ttl)));
            }
        }

        public Optional<HistoryPolicy> forRoom(String room) {
            for (Rule r : rules) {
                if (r.regex.matcher(room).matches()) {
                    return Optional.of(r.policy);
                }
            }
            return Optional.empty();
        }

        public boolean isEmpty() {
            return rules.isEmpty();
        }
    }
}
