package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.model.NatsModel;
import dev.imcluster.operator.model.SecretRefs;
import dev.imcluster.operator.model.SpecValidation;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Context;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Whether owned objects may be touched this time: what the CRD schema cannot check ({@link SpecValidation}), the
 * referenced Secrets and keys, a managed NATS cluster asked to shrink ({@link NatsModel#shrinkProblem}), a pause, and
 * (unless paused) objects of the same name owned by someone else ({@link OwnershipGuard}). Checked in that order; a later check runs only when the earlier ones found nothing.
 */
final class SpecGate {
    private SpecGate() {
    }

    static StatusCalculator.Gate check(PubSubCluster c, Context<PubSubCluster> context, ApiCapabilities caps) {
        List<String> problems = new ArrayList<>(SpecValidation.problems(c));
        if (problems.isEmpty()) {
            problems.addAll(secretProblems(c, context.getClient()));
        }
        if (problems.isEmpty()) {
            NatsModel.shrinkProblem(c, StatusCalculator.Observed.from(c, context).nats().orElse(null))
                    .ifPresent(problems::add);
        }
        String pausedBy = pausedBy(c);
        if (problems.isEmpty() && pausedBy == null) {
            problems.addAll(OwnershipGuard.problems(c, context, caps));
        }
        return new StatusCalculator.Gate(problems, pausedBy);
    }

    static String pausedBy(PubSubCluster c) {
        if (Boolean.TRUE.equals(c.getSpec().paused)) {
            return "spec.paused";
        }
        return c.paused() ? "annotation " + PubSubCluster.PAUSED_ANNOTATION : null;
    }

    /** Referenced Secrets and keys that do not exist; each message names the field and the Secret. */
    static List<String> secretProblems(PubSubCluster c, KubernetesClient client) {
        List<String> problems = new ArrayList<>();
        Map<String, Optional<Secret>> secrets = new HashMap<>();
        String ns = c.getMetadata().getNamespace();
        for (SecretRefs.Ref ref : SecretRefs.userProvided(c)) {
            Optional<Secret> s = secrets.computeIfAbsent(ref.name(),
                    n -> Optional.ofNullable(client.secrets().inNamespace(ns).withName(n).get()));
            if (s.isEmpty()) {
                String msg = ref.field() + ": Secret '" + ref.name() + "' does not exist in namespace " + ns;
                if (!problems.contains(msg)) {
                    problems.add(msg);
                }
            } else if (!hasKey(s.get(), ref.key())) {
                problems.add(ref.field() + ": Secret '" + ref.name() + "' has no key '" + ref.key() + "'");
            }
        }
        return problems;
    }

    private static boolean hasKey(Secret s, String key) {
        return (s.getData() != null && s.getData().containsKey(key))
                || (s.getStringData() != null && s.getStringData().containsKey(key));
    }
}
