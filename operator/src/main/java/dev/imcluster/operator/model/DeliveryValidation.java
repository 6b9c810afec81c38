package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.DeliverySpec;
import dev.imcluster.operator.api.v1alpha1.Durations;

import java.util.List;
import java.util.Set;

import static dev.imcluster.operator.model.SpecValidation.shorten;

/** spec.delivery: history and presence patterns, history TTLs and the dedupe window. */
final class DeliveryValidation {
    private DeliveryValidation() {
    }

    /** The CEL rules of spec.delivery, and a blank pattern, which the broker refuses as it does an empty one. */
    static void delivery(DeliverySpec d, List<String> p) {
        if (d.history != null) {
            Set<String> seen = new java.util.HashSet<>();
            Set<String> twice = new java.util.LinkedHashSet<>();
            for (int i = 0; i < d.history.size(); i++) {
                DeliverySpec.History h = d.history.get(i);
                String at = "spec.delivery.history[" + i + "]";
                if (h.pattern != null && h.pattern.isBlank()) {
                    p.add(at + ".pattern must not be blank (use * to match every room)");
                }
                if (h.pattern != null && !seen.add(h.pattern)) {
                    twice.add(h.pattern);
                }
                if (h.ttl != null && !Durations.isPositive(h.ttl)) {
                    p.add(at + "." + DeliverySpec.History.TTL_NOT_POSITIVE + ", got " + shorten(h.ttl));
                }
            }
            twice.forEach(pattern -> p.add("spec." + DeliverySpec.PATTERN_TWICE + ": '" + shorten(pattern) + "'"));
        }
        if (d.presence != null) {
            for (int i = 0; i < d.presence.size(); i++) {
                String pattern = d.presence.get(i);
                if (pattern == null || pattern.isEmpty() || pattern.length() > DeliverySpec.History.MAX_PATTERN_LENGTH) {
                    p.add("spec." + DeliverySpec.PRESENCE_PATTERN_LENGTH + " (delivery.presence[" + i + "])");
                } else if (pattern.isBlank()) {
                    p.add("spec.delivery.presence[" + i + "] must not be blank (use * to match every room)");
                }
            }
        }
        if (d.dedupe != null && d.dedupe.window != null && !Durations.isPositive(d.dedupe.window)) {
            p.add("spec." + DeliverySpec.Dedupe.WINDOW_NOT_POSITIVE + ", got " + shorten(d.dedupe.window));
        }
    }
}
