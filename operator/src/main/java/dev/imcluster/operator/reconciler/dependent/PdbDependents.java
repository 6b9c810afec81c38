package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.PdbModel;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.CRUDKubernetesBulkDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One PodDisruptionBudget per role, as a bulk dependent. Two classes because the API version differs: policy/v1
 * (1.21+) or policy/v1beta1 (1.20); an activation condition picks the one the server has. GarbageCollected:
 * owner references clean up, so the cluster needs no finalizer.
 */
public final class PdbDependents {
    private PdbDependents() {
    }

    static <R extends HasMetadata> Map<ResourceID, R> byId(Iterable<R> objects) {
        return java.util.stream.StreamSupport.stream(objects.spliterator(), false)
                .collect(Collectors.toMap(ResourceID::fromResource, Function.identity()));
    }

    @KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
    public static class V1 extends KubernetesDependentResource<PodDisruptionBudget, PubSubCluster>
            implements CRUDKubernetesBulkDependentResource<PodDisruptionBudget, PubSubCluster>,
            GarbageCollected<PubSubCluster> {
        public V1() {
            super(PodDisruptionBudget.class);
        }

    @Override
    protected void addReferenceHandlingMetadata(PodDisruptionBudget target, PubSubCluster primary) {
        super.addReferenceHandlingMetadata(target, primary);
        OwnerRefs.markController(target, primary);
    }

        @Override
        public Map<ResourceID, PodDisruptionBudget> desiredResources(PubSubCluster p, Context<PubSubCluster> c) {
            return byId(PdbModel.v1(p).values());
        }

        @Override
        public Map<ResourceID, PodDisruptionBudget> getSecondaryResources(PubSubCluster p, Context<PubSubCluster> c) {
            return byId(eventSource().orElseThrow().getSecondaryResources(p));
        }
    }

    @KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
    public static class V1beta1 extends
            KubernetesDependentResource<io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget, PubSubCluster>
            implements CRUDKubernetesBulkDependentResource<io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget,
            PubSubCluster>, GarbageCollected<PubSubCluster> {
        public V1beta1() {
            super(io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget.class);
        }

    @Override
    protected void addReferenceHandlingMetadata(io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget target, PubSubCluster primary) {
        super.addReferenceHandlingMetadata(target, primary);
        OwnerRefs.markController(target, primary);
    }

        @Override
        public Map<ResourceID, io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget> desiredResources(
                PubSubCluster p, Context<PubSubCluster> c) {
            return byId(PdbModel.v1beta1(p).values());
        }

        @Override
        public Map<ResourceID, io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget> getSecondaryResources(
                PubSubCluster p, Context<PubSubCluster> c) {
            return byId(eventSource().orElseThrow().getSecondaryResources(p));
        }
    }
}
