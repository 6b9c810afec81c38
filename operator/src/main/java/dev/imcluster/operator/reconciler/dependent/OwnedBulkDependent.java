package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.CRUDKubernetesBulkDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

import java.util.Collection;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A bulk dependent: several objects of one kind per cluster, keyed by their identity, controlled by the cluster.
 * GarbageCollected: owner references clean up, so the cluster needs no finalizer. Subclasses give the objects.
 */
abstract class OwnedBulkDependent<R extends HasMetadata> extends KubernetesDependentResource<R, PubSubCluster>
        implements CRUDKubernetesBulkDependentResource<R, PubSubCluster>, GarbageCollected<PubSubCluster> {

    OwnedBulkDependent(Class<R> type) {
        super(type);
    }

    /** The objects this cluster should have now. */
    protected abstract Collection<R> desiredObjects(PubSubCluster primary, Context<PubSubCluster> context);

    @Override
    protected void addReferenceHandlingMetadata(R target, PubSubCluster primary) {
        super.addReferenceHandlingMetadata(target, primary);
        OwnerRefs.markController(target, primary);
    }

    @Override
    public Map<ResourceID, R> desiredResources(PubSubCluster primary, Context<PubSubCluster> context) {
        return byId(desiredObjects(primary, context));
    }

    @Override
    public Map<ResourceID, R> getSecondaryResources(PubSubCluster primary, Context<PubSubCluster> context) {
        return byId(eventSource().orElseThrow().getSecondaryResources(primary));
    }

    private static <R extends HasMetadata> Map<ResourceID, R> byId(Collection<R> objects) {
        return objects.stream().collect(Collectors.toMap(ResourceID::fromResource, Function.identity()));
    }
}
