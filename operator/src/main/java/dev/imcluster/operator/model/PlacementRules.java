package dev.imcluster.operator.model;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The API server's rules for the affinity, tolerations and topology spread constraints a spec passes into the pod
 * templates (operators, keys, weights, topology keys, effects), so that a bad one is a SpecValid problem and not a
 * Deployment the server refuses halfway through.
 */
final class PlacementRules {
    private static final Set<String> SELECTOR_OPS = Set.of("In", "NotIn", "Exists", "DoesNotExist");
    private static final Set<String> NODE_OPS = Set.of("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt");
    private static final Set<String> TOLERATION_OPERATORS = Set.of("Exists", "Equal");
    private static final Set<String> TAINT_EFFECTS = Set.of("NoSchedule", "PreferNoSchedule", "NoExecute");

    private PlacementRules() {
    }

    static void affinity(String at, Affinity a, List<String> p) {
        if (a.getNodeAffinity() != null) {
            var n = a.getNodeAffinity();
            if (n.getRequiredDuringSchedulingIgnoredDuringExecution() != null) {
                List<NodeSelectorTerm> terms = n.getRequiredDuringSchedulingIgnoredDuringExecution()
                        .getNodeSelectorTerms();
                for (int i = 0; terms != null && i < terms.size(); i++) {
                    nodeTerm(at + ".nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[" + i
                            + "]", terms.get(i), p);
                }
            }
            var preferred = n.getPreferredDuringSchedulingIgnoredDuringExecution();
            for (int i = 0; preferred != null && i < preferred.size(); i++) {
                String pat = at + ".nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[" + i + "]";
                weight(pat, preferred.get(i).getWeight(), p);
                if (preferred.get(i).getPreference() != null) {
                    nodeTerm(pat + ".preference", preferred.get(i).getPreference(), p);
                }
            }
        }
        if (a.getPodAffinity() != null) {
            podTerms(at + ".podAffinity", a.getPodAffinity().getRequiredDuringSchedulingIgnoredDuringExecution(),
                    a.getPodAffinity().getPreferredDuringSchedulingIgnoredDuringExecution(), p);
        }
        if (a.getPodAntiAffinity() != null) {
            podTerms(at + ".podAntiAffinity", a.getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution(),
                    a.getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution(), p);
        }
    }

    static void selector(String at, LabelSelector s, List<String> p) {
        Map<String, String> labels = s.getMatchLabels();
        if (labels != null) {
            labels.forEach((k, v) -> {
                if (!KubeSyntax.isQualifiedName(k) || !KubeSyntax.isLabelValue(v)) {
                    p.add(at + ".matchLabels: '" + SpecValidation.shorten(k) + "': '" + SpecValidation.shorten(v)
                            + "' is not a valid label");
                }
            });
        }
        List<LabelSelectorRequirement> exprs = s.getMatchExpressions();
        for (int i = 0; exprs != null && i < exprs.size(); i++) {
            LabelSelectorRequirement r = exprs.get(i);
            requirement(at + ".matchExpressions[" + i + "]", r.getKey(), r.getOperator(), r.getValues(), SELECTOR_OPS, p);
        }
    }

    private static void podTerms(String at, List<PodAffinityTerm> required, List<WeightedPodAffinityTerm> preferred,
                                 List<String> p) {
        for (int i = 0; required != null && i < required.size(); i++) {
            podTerm(at + ".requiredDuringSchedulingIgnoredDuringExecution[" + i + "]", required.get(i), p);
        }
        for (int i = 0; preferred != null && i < preferred.size(); i++) {
            String pat = at + ".preferredDuringSchedulingIgnoredDuringExecution[" + i + "]";
            weight(pat, preferred.get(i).getWeight(), p);
            if (preferred.get(i).getPodAffinityTerm() == null) {
                p.add(pat + ".podAffinityTerm is required");
            } else {
                podTerm(pat + ".podAffinityTerm", preferred.get(i).getPodAffinityTerm(), p);
            }
        }
    }

    private static void podTerm(String at, PodAffinityTerm t, List<String> p) {
        if (t.getTopologyKey() == null || !KubeSyntax.isQualifiedName(t.getTopologyKey())) {
            p.add(at + ".topologyKey '" + SpecValidation.shorten(t.getTopologyKey()) + "' is not a valid label key");
        }
        if (t.getLabelSelector() != null) {
            selector(at + ".labelSelector", t.getLabelSelector(), p);
        }
    }

    private static void nodeTerm(String at, NodeSelectorTerm t, List<String> p) {
        List<NodeSelectorRequirement> exprs = t.getMatchExpressions();
        for (int i = 0; exprs != null && i < exprs.size(); i++) {
            NodeSelectorRequirement r = exprs.get(i);
            requirement(at + ".matchExpressions[" + i + "]", r.getKey(), r.getOperator(), r.getValues(), NODE_OPS, p);
        }
    }

    private static void requirement(String at, String key, String op, List<String> values, Set<String> ops,
                                    List<String> p) {
        if (key == null || !KubeSyntax.isQualifiedName(key)) {
            p.add(at + ".key '" + SpecValidation.shorten(key) + "' is not a valid label key");
        }
        if (op == null || !ops.contains(op)) {
            p.add(at + ".operator '" + SpecValidation.shorten(op) + "' must be one of " + ops.stream().sorted().toList());
            return;
        }
        boolean hasValues = values != null && !values.isEmpty();
        if ((op.equals("In") || op.equals("NotIn")) && !hasValues) {
            p.add(at + ".values must not be empty for operator " + op);
        } else if ((op.equals("Exists") || op.equals("DoesNotExist")) && hasValues) {
            p.add(at + ".values must be empty for operator " + op);
        } else if ((op.equals("Gt") || op.equals("Lt")) && (values == null || values.size() != 1
                || !values.get(0).matches("-?[0-9]+"))) {
            p.add(at + ".values must be one integer for operator " + op);
        }
    }

    private static void weight(String at, Integer weight, List<String> p) {
        if (weight == null || weight < 1 || weight > 100) {
            p.add(at + ".weight must be between 1 and 100");
        }
    }

    static void toleration(String at, Toleration t, List<String> p) {
        String op = t.getOperator();
        if (op != null && !op.isEmpty() && !TOLERATION_OPERATORS.contains(op)) {
            p.add(at + ".operator '" + SpecValidation.shorten(op) + "' must be Exists or Equal");
        }
        if ("Exists".equals(op) && t.getValue() != null && !t.getValue().isEmpty()) {
            p.add(at + ".value must be empty when operator is Exists");
        }
        if (t.getKey() != null && !t.getKey().isEmpty() && !KubeSyntax.isQualifiedName(t.getKey())) {
            p.add(at + ".key '" + SpecValidation.shorten(t.getKey()) + "' is not a valid label key");
        }
        if ((t.getKey() == null || t.getKey().isEmpty()) && !"Exists".equals(op)) {
            p.add(at + ": an empty key needs operator Exists");
        }
        if (t.getValue() != null && !KubeSyntax.isLabelValue(t.getValue())) {
            p.add(at + ".value '" + SpecValidation.shorten(t.getValue()) + "' is not a valid label value");
        }
        String effect = t.getEffect();
        if (effect != null && !effect.isEmpty() && !TAINT_EFFECTS.contains(effect)) {
            p.add(at + ".effect '" + SpecValidation.shorten(effect)
                    + "' must be NoSchedule, PreferNoSchedule or NoExecute");
        }
        if (t.getTolerationSeconds() != null && !"NoExecute".equals(effect)) {
            p.add(at + ".tolerationSeconds needs effect NoExecute");
        }
    }

    static void spread(String at, TopologySpreadConstraint t, List<String> p) {
        if (t.getMaxSkew() == null || t.getMaxSkew() < 1) {
            p.add(at + ".maxSkew must be at least 1");
        }
        if (t.getTopologyKey() == null || !KubeSyntax.isQualifiedName(t.getTopologyKey())) {
            p.add(at + ".topologyKey '" + SpecValidation.shorten(t.getTopologyKey()) + "' is not a valid label key");
        }
        if (!"DoNotSchedule".equals(t.getWhenUnsatisfiable()) && !"ScheduleAnyway".equals(t.getWhenUnsatisfiable())) {
            p.add(at + ".whenUnsatisfiable '" + SpecValidation.shorten(t.getWhenUnsatisfiable())
                    + "' must be DoNotSchedule or ScheduleAnyway");
        }
        if (t.getLabelSelector() != null) {
            selector(at + ".labelSelector", t.getLabelSelector(), p);
        }
    }
}
