package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.NetworkPolicyModel;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.CRUDKubernetesBulkDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

import java.util.Map;

/** The opt-in NetworkPolicies, one per component; removed when spec.networkPolicy.enabled is turned off. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class NetworkPolicyDependent extends KubernetesDependentResource<NetworkPolicy, PubSubCluster>
        implements CRUDKubernetesBulkDependentResource<NetworkPolicy, PubSubCluster>, GarbageCollected<PubSubCluster> {

    public NetworkPolicyDependent() {
        super(NetworkPolicy.class);
    }

    @Override
    protected void addReferenceHandlingMetadata(NetworkPolicy target, PubSubCluster primary) {
        super.addReferenceHandlingMetadata(target, primary);
        OwnerRefs.markController(target, primary);
    }

    @Override
    public Map<ResourceID, NetworkPolicy> desiredResources(PubSubCluster p, Context<PubSubCluster> c) {
        return PdbDependents.byId(NetworkPolicyModel.desired(p, ReconcileInputs.of(c).swap()).values());
    }

    @Override
    public Map<ResourceID, NetworkPolicy> getSecondaryResources(PubSubCluster p, Context<PubSubCluster> c) {
        return PdbDependents.byId(eventSource().orElseThrow().getSecondaryResources(p));
    }
}
