package dev.imcluster.broker.mq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Redis Streams ids as one offset: the order of (ms, seq) is kept, and a seq that does not fit is refused. */
class PositionTest {

    @Test
    void redisIdsKeepTheirOrderAcrossMillisecondsAndSequences() {
        List<String> ordered = List.of("0-0", "0-1", "0-4194303", "1-0", "1765000000000-0", "1765000000000-5",
                "1765000000000-4194303", "1765000000001-0", "1765000000001-1");
        for (int i = 1; i < ordered.size(); i++) {
            assertThat(Position.fromRedisId(ordered.get(i)))
                    .as(ordered.get(i - 1) + " < " + ordered.get(i))
                    .isGreaterThan(Position.fromRedisId(ordered.get(i - 1)));
        }
        assertThat(Position.fromRedisId("0-0")).isZero();
        assertThat(Position.fromRedisId("1-0")).isEqualTo(1L << 22);
        assertThat(Position.fromRedisId("1765000000000-5")).isEqualTo(1765000000000L * (1L << 22) + 5);
        assertThat(Position.fromRedisId("1765000000001-0") - Position.fromRedisId("1765000000000-4194303"))
                .isEqualTo(1);
    }

    @Test
    void aSequenceOf2To22OrMoreIsRefused() {
        assertThat(Position.fromRedisId("5-4194303")).isEqualTo(5L * 4194304 + 4194303);
        assertThatThrownBy(() -> Position.fromRedisId("5-4194304"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5-4194304");
        assertThatThrownBy(() -> Position.fromRedisId("5-99999999999"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
