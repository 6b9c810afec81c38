package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.InternalTokenModel;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.Names;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

import java.security.SecureRandom;

/**
 * The internal token shared by the roles (push API, internal gRPC), when the spec references none. Create-only,
 * like the Redis password: every pod reads it at start, so it is never regenerated behind their backs.
 */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class InternalTokenSecretDependent extends KubernetesDependentResource<Secret, PubSubCluster>
        implements Creator<Secret, PubSubCluster>, GarbageCollected<PubSubCluster> {

    private static final SecureRandom RANDOM = new SecureRandom();

    public InternalTokenSecretDependent() {
        super(Secret.class);
    }

    @Override
    protected void addReferenceHandlingMetadata(Secret target, PubSubCluster primary) {
        super.addReferenceHandlingMetadata(target, primary);
        OwnerRefs.markController(target, primary);
    }

    @Override
    protected ResourceID targetSecondaryResourceID(PubSubCluster primary, Context<PubSubCluster> context) {
        return new ResourceID(Names.internalToken(primary), primary.getMetadata().getNamespace());
    }

    @Override
    protected Secret desired(PubSubCluster primary, Context<PubSubCluster> context) {
        return InternalTokenModel.secret(primary, InternalTokenModel.newToken(RANDOM));
    }
}
