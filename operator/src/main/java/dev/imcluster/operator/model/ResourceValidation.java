package dev.imcluster.operator.model;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.imcluster.operator.model.SpecValidation.shorten;

/** Resource requests and limits: known resource names, quantities, and no request above its limit. */
final class ResourceValidation {
    private ResourceValidation() {
    }

    private static final Set<String> STANDARD_RESOURCES = Set.of("cpu", "memory", "ephemeral-storage");

    static void resources(String at, ResourceRequirements r, List<String> p) {
        Map<String, Quantity> requests = r.getRequests() == null ? Map.of() : r.getRequests();
        Map<String, Quantity> limits = r.getLimits() == null ? Map.of() : r.getLimits();
        quantities(at + ".requests", requests, p);
        quantities(at + ".limits", limits, p);
        requests.forEach((name, q) -> {
            Quantity limit = limits.get(name);
            BigDecimal req = amount(q);
            BigDecimal lim = amount(limit);
            if (req != null && lim != null && req.compareTo(lim) > 0) {
                p.add(at + ".requests." + name + " (" + q + ") exceeds " + at + ".limits." + name + " (" + limit + ")");
            }
        });
    }

    private static void quantities(String at, Map<String, Quantity> m, List<String> p) {
        m.forEach((name, q) -> {
            if (!STANDARD_RESOURCES.contains(name) && !name.startsWith("hugepages-")
                    && !(name.contains("/") && KubeSyntax.isQualifiedName(name))) {
                p.add(at + ": unknown resource '" + shorten(name) + "' (cpu, memory, ephemeral-storage, hugepages-*, "
                        + "or a domain-qualified extended resource)");
            }
            BigDecimal amount = amount(q);
            if (amount == null) {
                p.add(at + "." + shorten(name) + ": '" + shorten(String.valueOf(q))
                        + "' is not a quantity (such as 500m, 256Mi or 2)");
            } else if (amount.signum() < 0) {
                p.add(at + "." + name + ": " + q + " is negative");
            }
        });
    }

    /** The quantity's value, or null when it is not one. */
    private static BigDecimal amount(Quantity q) {
        if (q == null || q.getAmount() == null) {
            return null;
        }
        String text = q.getAmount() + (q.getFormat() == null ? "" : q.getFormat());
        if (!KubeSyntax.isQuantity(text)) {
            return null;
        }
        try {
            return q.getNumericalAmount();
        } catch (ArithmeticException | IllegalArgumentException e) {
            return null;
        }
    }
}
