package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

/**
 * A created-and-updated dependent whose object name is known without computing the desired state, so finding the
 * live object among several of the same kind does not render anything.
 */
public abstract class NamedDependent<R extends HasMetadata> extends CRUDKubernetesDependentResource<R, PubSubCluster> {

    protected NamedDependent(Class<R> type) {
        super(type);
    }

    protected abstract String objectName(PubSubCluster primary);

    @Override
    protected void addReferenceHandlingMetadata(R target, PubSubCluster primary) {
        super.addReferenceHandlingMetadata(target, primary);
        OwnerRefs.markController(target, primary);
    }

    @Override
    protected ResourceID targetSecondaryResourceID(PubSubCluster primary, Context<PubSubCluster> context) {
        return new ResourceID(objectName(primary), primary.getMetadata().getNamespace());
    }
}
