package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.AuthSpec;
import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterSpec;
import dev.imcluster.operator.api.v1alpha1.SecretKeyRef;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The Secrets a cluster refers to, for the pods and for the reconciler's existence check. */
public final class SecretRefs {
    public static final String REDIS_PASSWORD_KEY = "password";

    private SecretRefs() {
    }

    /** A Secret key and what it is for (the reconciler's messages name the field). */
    public record Ref(String field, String name, String key) {
    }

    /** Redis password: the generated Secret of a managed Redis, or the external one's, if any. */
    public static Optional<Ref> redisPassword(PubSubCluster c) {
        PubSubClusterSpec spec = c.getSpec();
        if (spec.redis != null && spec.redis.external != null) {
            SecretKeyRef r = spec.redis.external.passwordSecretRef;
            return r == null ? Optional.empty()
                    : Optional.of(new Ref("spec.redis.external.passwordSecretRef", r.name, r.keyOr(REDIS_PASSWORD_KEY)));
        }
        return Optional.of(new Ref("managed redis", Names.redisPassword(c), REDIS_PASSWORD_KEY));
    }

    /** The sentinels' own password of an external Redis run by Sentinel, if they have one. */
    public static Optional<Ref> sentinelPassword(PubSubCluster c) {
        PubSubClusterSpec spec = c.getSpec();
        if (spec.redis == null || spec.redis.external == null || spec.redis.external.sentinel == null
                || spec.redis.external.sentinel.passwordSecretRef == null) {
            return Optional.empty();
        }
        SecretKeyRef r = spec.redis.external.sentinel.passwordSecretRef;
        return Optional.of(new Ref("spec.redis.external.sentinel.passwordSecretRef", r.name,
                r.keyOr(REDIS_PASSWORD_KEY)));
    }

    /** The Kafka SASL Secret's name, when kafka is the backend and has auth. */
    public static Optional<String> kafkaAuth(PubSubCluster c) {
        return kafkaAuth(c, SwapState.of(c.getStatus()));
    }

    /** {@link #kafkaAuth(PubSubCluster)} for the swap state being rendered (null: none). */
    public static Optional<String> kafkaAuth(PubSubCluster c, SwapState swap) {
        MqSpec mq = c.getSpec().mq; // a swap from kafka still reads it
        if (mq == null || !SwapState.uses(c, swap, MqSpec.Backend.kafka) || mq.kafka == null
                || mq.kafka.authSecretRef == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(mq.kafka.authSecretRef.name);
    }

    /** The MQTT credentials Secret's name, when mqtt is the backend (or takes part in a swap) and has auth. */
    public static Optional<String> mqttAuth(PubSubCluster c, SwapState swap) {
        MqSpec mq = c.getSpec().mq;
        if (mq == null || !SwapState.uses(c, swap, MqSpec.Backend.mqtt) || mq.mqtt == null
                || mq.mqtt.authSecretRef == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(mq.mqtt.authSecretRef.name);
    }

    /** The JWT key Secret, when auth.jwt is set. */
    public static Optional<Ref> jwt(PubSubCluster c) {
        AuthSpec auth = c.getSpec().auth;
        if (auth == null || auth.jwt == null) {
            return Optional.empty();
        }
        if (auth.jwt.secretRef != null) {
            return Optional.of(new Ref("spec.auth.jwt.secretRef", auth.jwt.secretRef.name,
                    auth.jwt.secretRef.keyOr(AuthSpec.Jwt.DEFAULT_SECRET_KEY)));
        }
        if (auth.jwt.publicKeySecretRef != null) {
            return Optional.of(new Ref("spec.auth.jwt.publicKeySecretRef", auth.jwt.publicKeySecretRef.name,
                    auth.jwt.publicKeySecretRef.keyOr(AuthSpec.Jwt.DEFAULT_PUBLIC_KEY)));
        }
        if (auth.jwt.jwksSecretRef != null) {
            return Optional.of(new Ref("spec.auth.jwt.jwksSecretRef", auth.jwt.jwksSecretRef.name,
                    auth.jwt.jwksSecretRef.keyOr(AuthSpec.Jwt.DEFAULT_JWKS_KEY)));
        }
        return Optional.empty();
    }

    /** The internal token: the Secret the spec references, or the one the operator generates. */
    public static Ref internalToken(PubSubCluster c) {
        AuthSpec auth = c.getSpec().auth;
        if (auth != null && auth.internalTokenSecretRef != null) {
            return new Ref("spec.auth.internalTokenSecretRef", auth.internalTokenSecretRef.name,
                    auth.internalTokenSecretRef.keyOr(InternalTokenModel.KEY));
        }
        return new Ref("generated internal token", Names.internalToken(c), InternalTokenModel.KEY);
    }

    /** True when the operator generates the internal token Secret. */
    public static boolean generatedInternalToken(PubSubCluster c) {
        return c.getSpec().auth == null || c.getSpec().auth.internalTokenSecretRef == null;
    }

    /** Every user-provided Secret key the cluster needs (not the ones the operator generates). */
    public static List<Ref> userProvided(PubSubCluster c) {
        List<Ref> refs = new ArrayList<>();
        PubSubClusterSpec spec = c.getSpec();
        if (spec.redis != null && spec.redis.external != null) {
            redisPassword(c).ifPresent(refs::add);
            sentinelPassword(c).ifPresent(refs::add);
        }
        kafkaAuth(c).ifPresent(name -> {
            refs.add(new Ref("spec.mq.kafka.authSecretRef", name, MqSpec.KafkaAuth.USERNAME_KEY));
            refs.add(new Ref("spec.mq.kafka.authSecretRef", name, MqSpec.KafkaAuth.PASSWORD_KEY));
        });
        mqttAuth(c, SwapState.of(c.getStatus())).ifPresent(name -> {
            refs.add(new Ref("spec.mq.mqtt.authSecretRef", name, MqSpec.MqttAuth.USERNAME_KEY));
            refs.add(new Ref("spec.mq.mqtt.authSecretRef", name, MqSpec.MqttAuth.PASSWORD_KEY));
        });
        jwt(c).ifPresent(refs::add);
        if (!generatedInternalToken(c)) {
            refs.add(internalToken(c));
        }
        if (spec.tls != null && spec.tls.secretName != null) {
            refs.add(new Ref("spec.tls.secretName", spec.tls.secretName, "tls.crt"));
            refs.add(new Ref("spec.tls.secretName", spec.tls.secretName, "tls.key"));
        }
        return refs;
    }
}
