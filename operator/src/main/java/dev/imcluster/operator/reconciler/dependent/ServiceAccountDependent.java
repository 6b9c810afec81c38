package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.ServiceAccountModel;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The broker pods' ServiceAccount (no Role: DNS discovery needs no API access). */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class ServiceAccountDependent extends NamedDependent.Of<ServiceAccount> {
    public ServiceAccountDependent() {
        super(ServiceAccount.class, Names::serviceAccount, (p, c) -> ServiceAccountModel.desired(p));
    }
}
