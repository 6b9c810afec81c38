package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.model.ConfigMapModel;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.Names;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The rendered broker config. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class ConfigMapDependent extends NamedDependent.Of<ConfigMap> {
    public ConfigMapDependent() {
        super(ConfigMap.class, Names::config, (p, c) -> ConfigMapModel.desired(p, ReconcileInputs.of(c).config()));
    }
}
