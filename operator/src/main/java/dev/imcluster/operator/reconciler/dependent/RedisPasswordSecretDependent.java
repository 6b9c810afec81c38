package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.RedisModel;
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
 * The managed Redis's password. Create-only (no Updater): a password generated once is never regenerated, since
 * Redis and every client already use it. Its informer sees only the operator's own Secrets.
 */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class RedisPasswordSecretDependent extends KubernetesDependentResource<Secret, PubSubCluster>
        implements Creator<Secret, PubSubCluster>, GarbageCollected<PubSubCluster> {

    private static final SecureRandom RANDOM = new SecureRandom();

    public RedisPasswordSecretDependent() {
        super(Secret.class);
    }

    @Override
    protected void addReferenceHandlingMetadata(Secret target, PubSubCluster primary) {
        super.addReferenceHandlingMetadata(target, primary);
        OwnerRefs.markController(target, primary);
    }

    @Override
    protected ResourceID targetSecondaryResourceID(PubSubCluster primary, Context<PubSubCluster> context) {
        return new ResourceID(Names.redisPassword(primary), primary.getMetadata().getNamespace());
    }

    @Override
    protected Secret desired(PubSubCluster primary, Context<PubSubCluster> context) {
        return RedisModel.passwordSecret(primary, RedisModel.newPassword(RANDOM));
    }
}
