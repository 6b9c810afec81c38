package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;

/**
 * The broker pods' identity. job finds comets through the headless Service's DNS, so the pods never call the API
 * server: no Role or RoleBinding, and no token mounted (least privilege).
 */
public final class ServiceAccountModel {
    private ServiceAccountModel() {
    }

    /**
     * The ServiceAccount the broker pods run as: spec.serviceAccount.name (one the user manages), else the
     * operator's {@code <name>-broker}, which the operator creates either way.
     */
    public static String podServiceAccount(PubSubCluster c) {
        var sa = c.getSpec().serviceAccount;
        return sa != null && sa.name != null && !sa.name.isBlank() ? sa.name : Names.serviceAccount(c);
    }

    private static java.util.Map<String, String> annotations(PubSubCluster c) {
        var sa = c.getSpec().serviceAccount;
        return sa == null || sa.annotations == null ? java.util.Map.of() : new java.util.LinkedHashMap<>(sa.annotations);
    }

    public static ServiceAccount desired(PubSubCluster c) {
        return new ServiceAccountBuilder()
                .withNewMetadata()
                    .withName(Names.serviceAccount(c))
                    .withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Labels.all(c, "broker"))
                    .addToAnnotations(annotations(c))
                .endMetadata()
                .withAutomountServiceAccountToken(false)
                .build();
    }
}
