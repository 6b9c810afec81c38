package dev.imcluster.operator.reconciler;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Builds the next condition list from the previous one: lastTransitionTime changes only when a condition's status
 * changes, so an unchanged cluster produces an identical status (no churn).
 */
final class ConditionSet {
    static final String TRUE = "True";
    static final String FALSE = "False";
    static final String UNKNOWN = "Unknown";

    private final List<Condition> previous;
    private final List<Condition> next = new ArrayList<>();
    private final long generation;
    private final String now;

    ConditionSet(List<Condition> previous, long generation, String now) {
        this.previous = previous == null ? List.of() : previous;
        this.generation = generation;
        this.now = now;
    }

    static Optional<Condition> find(List<Condition> conditions, String type) {
        return conditions == null ? Optional.empty()
                : conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    static boolean isTrue(List<Condition> conditions, String type) {
        return find(conditions, type).map(c -> TRUE.equals(c.getStatus())).orElse(false);
    }

    ConditionSet set(String type, boolean status, String reason, String message) {
        return set(type, status ? TRUE : FALSE, reason, message);
    }

    ConditionSet set(String type, String status, String reason, String message) {
        String transition = find(previous, type)
                .filter(c -> Objects.equals(c.getStatus(), status) && c.getLastTransitionTime() != null)
                .map(Condition::getLastTransitionTime)
                .orElse(now);
        next.removeIf(c -> type.equals(c.getType()));
        next.add(new ConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .withLastTransitionTime(transition).withObservedGeneration(generation).build());
        return this;
    }

    /** Keeps a previous condition as it was (for example Degraded set by an earlier error). */
    ConditionSet keep(String type) {
        find(previous, type).ifPresent(c -> {
            next.removeIf(n -> type.equals(n.getType()));
            next.add(c);
        });
        return this;
    }

    List<Condition> build() {
        return List.copyOf(next);
    }
}
