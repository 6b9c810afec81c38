package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.RedisModel;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

import java.security.SecureRandom;

/** The managed Redis's password. Its informer sees only the operator's own Secrets. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class RedisPasswordSecretDependent extends GeneratedSecretDependent {

    @Override
    protected String secretName(PubSubCluster primary) {
        return Names.redisPassword(primary);
    }

    @Override
    protected Secret generate(PubSubCluster primary, SecureRandom random) {
        return RedisModel.passwordSecret(primary, RedisModel.newPassword(random));
    }
}
