package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DedupeWindowTest {
    private final AtomicLong now = new AtomicLong();

    @Test
    void aRepeatWithinTheWindowIsDetected() {
        DedupeWindow w = new DedupeWindow(100, 1_000, now::get);
        assertThat(w.firstSeen("a")).isTrue();
        assertThat(w.firstSeen("b")).isTrue();
        assertThat(w.firstSeen("a")).isFalse();
    }

    @Test
    void idsExpireAfterTheWindow() {
        DedupeWindow w = new DedupeWindow(100, 1_000, now::get);
        w.firstSeen("a");
        now.addAndGet(1_001);
        assertThat(w.firstSeen("a")).isTrue();
        assertThat(w.tracked()).isEqualTo(1);
    }

    @Test
    void theOldestIdIsForgottenWhenFull() {
        DedupeWindow w = new DedupeWindow(3, 1_000_000, now::get);
        for (String id : new String[] {"a", "b", "c", "d"}) {
            assertThat(w.firstSeen(id)).isTrue();
        }
        assertThat(w.tracked()).isEqualTo(3);
        assertThat(w.firstSeen("d")).isFalse();
        assertThat(w.firstSeen("a")).isTrue(); // forgotten
    }

    @Test
    void emptyIdsAndAZeroSizeNeverDedupe() {
        DedupeWindow w = new DedupeWindow(10, 1_000, now::get);
        assertThat(w.firstSeen("")).isTrue();
        assertThat(w.firstSeen("")).isTrue();
        DedupeWindow off = new DedupeWindow(0, 1_000, now::get);
        assertThat(off.firstSeen("a")).isTrue();
        assertThat(off.firstSeen("a")).isTrue();
    }
}
