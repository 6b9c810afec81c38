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

    public static ServiceAccount desired(PubSubCluster c) {
        return new ServiceAccountBuilder()
                .withNewMetadata()
                    .withName(Names.serviceAccount(c))
                    .withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Labels.all(c, "broker"))
                .endMetadata()
                .withAutomountServiceAccountToken(false)
                .build();
    }
}
