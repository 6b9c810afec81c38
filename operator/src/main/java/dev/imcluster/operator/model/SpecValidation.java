package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.AuthSpec;
import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * The spec checks CEL does on current API servers, repeated here because API servers before 1.25 (1.20 included)
 * do not enforce CEL rules. Pure: the reconciler adds the checks that need the cluster (Secrets).
 */
public final class SpecValidation {
    private SpecValidation() {
    }

    /** Problems, each naming its field; empty when the spec is valid. */
    public static List<String> problems(PubSubCluster c) {
        List<String> p = new ArrayList<>();
        PubSubClusterSpec s = c.getSpec();
        if (s == null) {
            p.add("spec is missing");
            return p;
        }
        MqSpec mq = s.mq;
        if (mq != null && mq.backend == MqSpec.Backend.kafka
                && (mq.kafka == null || mq.kafka.bootstrapServers == null || mq.kafka.bootstrapServers.isBlank())) {
            p.add("spec.mq.kafka.bootstrapServers is required when spec.mq.backend is kafka");
        }
        if (mq != null && mq.backend == MqSpec.Backend.nats
                && (mq.nats == null || (mq.nats.url == null && !mq.nats.isManaged()))) {
            p.add("spec.mq.nats needs url, or managed: true, when spec.mq.backend is nats");
        }
        MigrationState swap = MigrationState.of(c.getStatus());
        if (swap != null && swap.involves(MqSpec.Backend.kafka) && mq != null && mq.backend != MqSpec.Backend.kafka
                && (mq.kafka == null || mq.kafka.bootstrapServers == null || mq.kafka.bootstrapServers.isBlank())) {
            p.add("spec.mq.kafka.bootstrapServers is still needed: the backend swap " + swap.from() + " -> "
                    + swap.to() + " uses kafka until it is Complete");
        }
        if (swap != null && swap.involves(MqSpec.Backend.nats) && mq != null && mq.backend != MqSpec.Backend.nats
                && (mq.nats == null || (mq.nats.url == null && !mq.nats.isManaged()))) {
            p.add("spec.mq.nats (url or managed: true) is still needed: the backend swap " + swap.from() + " -> "
                    + swap.to() + " uses nats until it is Complete");
        }
        if (mq != null && mq.nats != null && mq.nats.url != null && mq.nats.isManaged()) {
            p.add("spec.mq.nats.url and spec.mq.nats.managed are mutually exclusive");
        }
        if (s.redis != null && s.redis.managed != null && s.redis.external != null) {
            p.add("spec.redis.managed and spec.redis.external are mutually exclusive");
        }
        if (s.redis != null && s.redis.external != null
                && (s.redis.external.address == null || s.redis.external.address.isBlank())) {
            p.add("spec.redis.external.address is required");
        }
        AuthSpec auth = s.auth;
        if (auth != null && auth.jwt != null && (auth.jwt.secretRef == null) == (auth.jwt.publicKeySecretRef == null)) {
            p.add("spec.auth.jwt needs exactly one of secretRef (HS256) and publicKeySecretRef (RS256)");
        }
        if (s.tls != null && (s.tls.secretName == null || s.tls.secretName.isBlank())) {
            p.add("spec.tls.secretName is required when spec.tls is set");
        }
        return p;
    }
}
