package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;

/**
 * The rendered broker config: the shared file, and the file of each role that has config keys of its own; every role
 * mounts its file at {@link Mounts#CONFIG_FILE}.
 */
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
                .addToData(roleFiles(config))
                .build();
    }

    private static java.util.Map<String, String> roleFiles(BrokerConfigRenderer.Rendered config) {
        java.util.Map<String, String> files = new java.util.TreeMap<>();
        config.roleYaml().forEach((role, yaml) -> files.put(config.key(role), yaml));
        return files;
    }
}
