package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.PdbModel;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

import java.util.Collection;

/**
 * One PodDisruptionBudget per role, as a bulk dependent. Two classes because the API version differs: policy/v1
 * (1.21+) or policy/v1beta1 (1.20); an activation condition picks the one the server has.
 */
public final class PdbDependents {
    private PdbDependents() {
    }

    @KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
    public static class V1 extends OwnedBulkDependent<PodDisruptionBudget> {
        public V1() {
            super(PodDisruptionBudget.class);
        }

        @Override
        protected Collection<PodDisruptionBudget> desiredObjects(PubSubCluster p, Context<PubSubCluster> c) {
            return PdbModel.v1(p).values();
        }
    }

    @KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
    public static class V1beta1
            extends OwnedBulkDependent<io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget> {
        public V1beta1() {
            super(io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget.class);
        }

        @Override
        protected Collection<io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget> desiredObjects(
                PubSubCluster p, Context<PubSubCluster> c) {
            return PdbModel.v1beta1(p).values();
        }
    }
}
