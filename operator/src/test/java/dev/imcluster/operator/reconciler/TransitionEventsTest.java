package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.imcluster.operator.reconciler.ConditionTypes.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Every change of status.phase is announced by an Event; an unchanged phase by none. */
class TransitionEventsTest {
    static final List<String> PHASES = List.of(PHASE_PENDING, PHASE_RUNNING, PHASE_DEGRADED, PHASE_INVALID,
            PHASE_PAUSED);

    private static PubSubClusterStatus status(String phase) {
        PubSubClusterStatus s = new PubSubClusterStatus();
        s.phase = phase;
        return s;
    }

    @Test
    void everyPhaseTransitionEmitsAnEvent() {
        List<String> before = new ArrayList<>(Arrays.asList((String) null));
        before.addAll(PHASES);
        int transitions = 0;
        for (String from : before) {
            for (String to : PHASES) {
                var e = TransitionEvents.phaseEvent(from, status(to));
                if (to.equals(from)) {
                    assertThat(e).as(from + " -> " + to).isEmpty();
                    continue;
                }
                transitions++;
                assertThat(e).as(from + " -> " + to).isPresent();
                assertThat(e.get().reason()).isEqualTo(TransitionEvents.PHASE_CHANGED);
                assertThat(e.get().message()).isEqualTo("Phase " + (from == null ? "(none)" : from) + " -> " + to + ".");
                assertThat(e.get().warning()).as(from + " -> " + to)
                        .isEqualTo(to.equals(PHASE_DEGRADED) || to.equals(PHASE_INVALID));
            }
        }
        assertThat(transitions).isEqualTo(5 * 4 + 5);
        assertThat(TransitionEvents.phaseEvent(PHASE_RUNNING, status(null))).isEmpty();
    }

    /** The phases StatusCalculator and the error path can set are the ones covered above. */
    @Test
    void thePhasesAreAllKnown() {
        assertThat(PHASES).containsExactlyInAnyOrder("Pending", "Running", "Degraded", "Invalid", "Paused");
    }
}
