package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.ConfigMapModel;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.Names;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The rendered broker config. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class ConfigMapDependent extends NamedDependent<ConfigMap> {
    public ConfigMapDependent() {
        super(ConfigMap.class);
    }

    @Override
    protected String objectName(PubSubCluster primary) {
        return Names.config(primary);
    }

    @Override
    protected ConfigMap desired(PubSubCluster primary, Context<PubSubCluster> context) {
        return ConfigMapModel.desired(primary, ReconcileInputs.of(context).config());
    }
}
