package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

import java.security.SecureRandom;

/**
 * A Secret holding a value the operator generates once (a password, a token). Create-only (no Updater): pods and
 * servers read it at start, so it is never regenerated behind their backs. Subclasses name it and build it.
 */
abstract class GeneratedSecretDependent extends KubernetesDependentResource<Secret, PubSubCluster>
        implements Creator<Secret, PubSubCluster>, GarbageCollected<PubSubCluster> {

    private static final SecureRandom RANDOM = new SecureRandom();

    GeneratedSecretDependent() {
        super(Secret.class);
    }

    /** The Secret's name for this cluster. */
    protected abstract String secretName(PubSubCluster primary);

    /** The Secret with a freshly generated value. */
    protected abstract Secret generate(PubSubCluster primary, SecureRandom random);

    @Override
    protected void addReferenceHandlingMetadata(Secret target, PubSubCluster primary) {
        super.addReferenceHandlingMetadata(target, primary);
        OwnerRefs.markController(target, primary);
    }

    @Override
    protected ResourceID targetSecondaryResourceID(PubSubCluster primary, Context<PubSubCluster> context) {
        return new ResourceID(secretName(primary), primary.getMetadata().getNamespace());
    }

    @Override
    protected Secret desired(PubSubCluster primary, Context<PubSubCluster> context) {
        return generate(primary, RANDOM);
    }
}
