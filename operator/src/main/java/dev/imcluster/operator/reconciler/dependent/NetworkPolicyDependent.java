package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.NetworkPolicyModel;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

import java.util.Collection;

/** The opt-in NetworkPolicies, one per component; removed when spec.networkPolicy.enabled is turned off. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class NetworkPolicyDependent extends OwnedBulkDependent<NetworkPolicy> {

    public NetworkPolicyDependent() {
        super(NetworkPolicy.class);
    }

    @Override
    protected Collection<NetworkPolicy> desiredObjects(PubSubCluster p, Context<PubSubCluster> c) {
        return NetworkPolicyModel.desired(p, ReconcileInputs.of(c).swap()).values();
    }
}
