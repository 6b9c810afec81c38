package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;

/** The rendered broker config, mounted by every role at {@link Mounts#CONFIG_FILE}. */
public final class ConfigMapModel {
    private ConfigMapModel() {
    }

    public static ConfigMap desired(PubSubCluster c, BrokerConfigRenderer.Rendered config) {
        return new ConfigMapBuilder()
                .withNewMetadata()
                    .withName(Names.config(c))
                    .withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Labels.all(c, "config"))
                .endMetadata()
                .addToData(Mounts.CONFIG_KEY, config.yaml())
                .build();
    }
}
