package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.InternalTokenModel;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.Names;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

import java.security.SecureRandom;

/** The internal token shared by the roles (push API, internal gRPC), when the spec references none. */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class InternalTokenSecretDependent extends GeneratedSecretDependent {

    @Override
    protected String secretName(PubSubCluster primary) {
        return Names.internalToken(primary);
    }

    @Override
    protected Secret generate(PubSubCluster primary, SecureRandom random) {
        return InternalTokenModel.secret(primary, InternalTokenModel.newToken(random));
    }
}
