package dev.imcluster.nodeagent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private static final Duration SHORT = Duration.ofSeconds(5);

    @Test
    void crashesDoubleTheDelayUpTo30Seconds() {
        Backoff b = new Backoff();
        assertThat(b.exited(SHORT)).hasSeconds(2);
        assertThat(b.exited(SHORT)).hasSeconds(4);
        assertThat(b.exited(SHORT)).hasSeconds(8);
        assertThat(b.exited(SHORT)).hasSeconds(16);
        assertThat(b.exited(SHORT)).hasSeconds(30);
        assertThat(b.exited(SHORT)).hasSeconds(30);
    }

    @Test
    void aLongRunResetsTheDelay() {
        Backoff b = new Backoff();
        b.exited(SHORT);
        b.exited(SHORT);
        assertThat(b.exited(Duration.ofSeconds(61))).hasSeconds(1);
        assertThat(b.exited(SHORT)).hasSeconds(2);
    }

    @Test
    void failedStartsWaitOneSecondFirst() {
        Backoff b = new Backoff();
        assertThat(b.startFailed()).hasSeconds(1);
        assertThat(b.startFailed()).hasSeconds(2);
        assertThat(b.startFailed()).hasSeconds(4);
    }
}
