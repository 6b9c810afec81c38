package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.util.LinkedHashMap;
import java.util.Map;

/** A PodDisruptionBudget per role: policy/v1, or policy/v1beta1 on API servers before 1.21. */
public final class PdbModel {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private PdbModel() {
    }

    public static Map<Role, PodDisruptionBudget> v1(PubSubCluster c) {
        Map<Role, PodDisruptionBudget> m = new LinkedHashMap<>();
        for (Role role : Role.values()) {
            m.put(role, new PodDisruptionBudgetBuilder()
                    .withMetadata(meta(c, role))
                    .withNewSpec()
                        .withMaxUnavailable(maxUnavailable(c, role))
                        .withNewSelector().withMatchLabels(Labels.selector(c, role.id())).endSelector()
                    .endSpec()
                    .build());
        }
        return m;
    }

    /** The same budgets under policy/v1beta1: every field set here means the same in both versions. */
    public static Map<Role, io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget> v1beta1(PubSubCluster c) {
        Map<Role, io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget> m = new LinkedHashMap<>();
        v1(c).forEach((role, budget) -> {
            var older = SERIALIZATION.convertValue(budget,
                    io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget.class);
            older.setApiVersion("policy/v1beta1");
            m.put(role, older);
        });
        return m;
    }

    private static IntOrString maxUnavailable(PubSubCluster c, Role role) {
        return new IntOrString(DeploymentModel.roleSpec(c.getSpec(), role).maxUnavailableOrDefault());
    }

    private static ObjectMeta meta(PubSubCluster c, Role role) {
        return new ObjectMetaBuilder()
                .withName(Names.role(c, role))
                .withNamespace(c.getMetadata().getNamespace())
                .withLabels(Labels.all(c, role.id()))
                .build();
    }
}
