package dev.imcluster.broker.history;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.broker.config.DeliveryConfig;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** delivery.history patterns: {@code *} is any run of characters, everything else literal, first match wins. */
class HistoryPolicyTest {

    private static DeliveryConfig.History rule(String pattern, int size) {
        DeliveryConfig.History h = new DeliveryConfig.History();
        h.pattern = pattern;
        h.size = size;
        h.ttl = Duration.ofMinutes(size);
        return h;
    }

    private static Optional<Integer> sizeFor(HistoryPolicy.Rules rules, String room) {
        return rules.forRoom(room).map(HistoryPolicy::size);
    }

    @Test
    void aPrefixGlobMatchesAnyRestIncludingNothing() {
        HistoryPolicy.Rules rules = new HistoryPolicy.Rules(List.of(rule("live://*", 1)));
        assertThat(sizeFor(rules, "live://match-1")).contains(1);
        assertThat(sizeFor(rules, "live://")).contains(1);
        assertThat(sizeFor(rules, "live://a/b\nc")).contains(1);
        assertThat(sizeFor(rules, "live:/x")).isEmpty();
        assertThat(sizeFor(rules, "xlive://a")).isEmpty();
    }

    @Test
    void aGlobInTheMiddleKeepsBothEnds() {
        HistoryPolicy.Rules rules = new HistoryPolicy.Rules(List.of(rule("chat://team-*", 1)));
        assertThat(sizeFor(rules, "chat://team-red")).contains(1);
        assertThat(sizeFor(rules, "chat://team-")).contains(1);
        assertThat(sizeFor(rules, "chat://teamred")).isEmpty();
        assertThat(sizeFor(rules, "chat://general")).isEmpty();
    }

    @Test
    void aLoneStarMatchesEveryRoom() {
        HistoryPolicy.Rules rules = new HistoryPolicy.Rules(List.of(rule("*", 7)));
        assertThat(sizeFor(rules, "")).contains(7);
        assertThat(sizeFor(rules, "anything://at/all")).contains(7);
        assertThat(rules.forRoom("x").orElseThrow()).isEqualTo(new HistoryPolicy("*", 7, Duration.ofMinutes(7)));
    }

    @Test
    void regexMetacharactersAreLiteral() {
        HistoryPolicy.Rules rules = new HistoryPolicy.Rules(List.of(rule("a.b+c", 1), rule("(x)|[y]*", 2)));
        assertThat(sizeFor(rules, "a.b+c")).contains(1);
        assertThat(sizeFor(rules, "aXb+c")).isEmpty();
        assertThat(sizeFor(rules, "a.bbc")).isEmpty();
        assertThat(sizeFor(rules, "(x)|[y]")).contains(2);
        assertThat(sizeFor(rules, "(x)|[y]zzz")).contains(2);
        assertThat(sizeFor(rules, "x")).isEmpty();
    }

    @Test
    void theFirstMatchingPatternWins() {
        HistoryPolicy.Rules rules = new HistoryPolicy.Rules(
                List.of(rule("chat://team-*", 1), rule("chat://*", 2), rule("*", 3)));
        assertThat(sizeFor(rules, "chat://team-red")).contains(1);
        assertThat(sizeFor(rules, "chat://general")).contains(2);
        assertThat(sizeFor(rules, "live://x")).contains(3);
    }

    @Test
    void noMatchMeansNoHistory() {
        HistoryPolicy.Rules rules = new HistoryPolicy.Rules(List.of(rule("live://*", 1)));
        assertThat(rules.forRoom("chat://x")).isEmpty();
        assertThat(rules.isEmpty()).isFalse();
        HistoryPolicy.Rules none = new HistoryPolicy.Rules(List.of());
        assertThat(none.isEmpty()).isTrue();
        assertThat(none.forRoom("anything")).isEmpty();
    }
}
