package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.AuthSpec;
import dev.imcluster.operator.api.v1alpha1.DeliverySpec;
import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.RedisSpec;
import dev.imcluster.operator.api.v1alpha1.SecretKeyRef;
import dev.imcluster.operator.testing.Examples;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The CEL rules, repeated for API servers that do not enforce CEL (1.20). */
class SpecValidationTest {

    @Test
    void kafkaWithoutBootstrapServersIsRejected() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().mq.backend = MqSpec.Backend.kafka;
        assertThat(SpecValidation.problems(c))
                .containsExactly("spec.mq.kafka.bootstrapServers is required when spec.mq.backend is kafka");
    }

    @Test
    void natsNeedsUrlOrManagedButNotBoth() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().mq.backend = MqSpec.Backend.nats;
        assertThat(SpecValidation.problems(c)).hasSize(1).allMatch(p -> p.contains("url, or managed"));
        c.getSpec().mq.nats = new MqSpec.NatsSpec();
        c.getSpec().mq.nats.url = "nats://x:4222";
        c.getSpec().mq.nats.managed = true;
        assertThat(SpecValidation.problems(c)).containsExactly(
                "spec.mq.nats.url and spec.mq.nats.managed are mutually exclusive");
    }

    /** The edit that swaps away from kafka is judged before any migration is recorded: status.active tells. */
    @Test
    void anEditThatLeavesKafkaMustKeepKafkaUntilTheSwapIsComplete() {
        PubSubCluster c = Examples.load("kafka.yaml");
        c.setStatus(new dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus());
        c.getStatus().backend = new dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus.BackendStatus();
        c.getStatus().backend.active = "kafka";
        c.getSpec().mq.backend = MqSpec.Backend.redis;
        assertThat(SpecValidation.problems(c)).isEmpty();
        c.getSpec().mq.kafka = null;
        assertThat(SpecValidation.problems(c)).containsExactly("spec.mq.kafka.bootstrapServers is still needed until "
                + "the backend swap away from kafka is Complete (swap kafka -> redis)");
        c.getStatus().backend.active = "redis";   // the swap completed
        assertThat(SpecValidation.problems(c)).isEmpty();
    }

    @Test
    void internalTlsLeavesRoomForRenewal() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().tls = new dev.imcluster.operator.api.v1alpha1.TlsSpec();
        assertThat(SpecValidation.problems(c))
                .containsExactly("spec.tls needs secretName (client TLS), internal, or both");
        c.getSpec().tls.internal = new dev.imcluster.operator.api.v1alpha1.TlsSpec.Internal();
        c.getSpec().tls.internal.enabled = true;
        assertThat(SpecValidation.problems(c)).isEmpty(); // 90 days, renewed 30 days before
        c.getSpec().tls.internal.renewBefore = "2m";
        assertThat(SpecValidation.problems(c)).containsExactly(
                "spec.tls.internal.renewBefore must be at least 5m (a CA rotation waits 2m for every role to trust"
                        + " the new CA)");
        c.getSpec().tls.internal.renewBefore = "1h";
        c.getSpec().tls.internal.certificateLifetime = "60m";
        assertThat(SpecValidation.problems(c))
                .containsExactly("spec.tls.internal.certificateLifetime must be longer than renewBefore");
        c.getSpec().tls.internal.certificateLifetime = "2h";
        assertThat(SpecValidation.problems(c)).isEmpty();
    }

    @Test
    void managedAndExternalRedisAreExclusive() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().redis.external = new RedisSpec.External();
        c.getSpec().redis.external.address = "r:6379";
        assertThat(SpecValidation.problems(c)).containsExactly(
                "spec.redis.managed and spec.redis.external are mutually exclusive");
    }

    @Test
    void anExternalRedisIsOneAddressOrSentinels() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().redis.managed = null;
        c.getSpec().redis.external = new RedisSpec.External();
        assertThat(SpecValidation.problems(c)).containsExactly(
                "spec.redis.external needs exactly one of address and sentinel");
        c.getSpec().redis.external.sentinel = new RedisSpec.Sentinel();
        c.getSpec().redis.external.sentinel.masterName = "mymaster";
        c.getSpec().redis.external.sentinel.addresses = List.of("s-0.s:26379", "s-1.s:99999");
        assertThat(SpecValidation.problems(c)).singleElement().asString()
                .contains("spec.redis.external.sentinel.addresses").contains("s-1.s:99999");
        c.getSpec().redis.external.sentinel.addresses = List.of("s-0.s:26379", "s-1.s:26379");
        assertThat(SpecValidation.problems(c)).isEmpty();
        c.getSpec().redis.external.address = "r:6379";
        assertThat(SpecValidation.problems(c)).containsExactly(
                "spec.redis.external needs exactly one of address and sentinel");
    }

    @Test
    void jwtNeedsExactlyOneKey() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().auth = new AuthSpec();
        c.getSpec().auth.jwt = new AuthSpec.Jwt();
        assertThat(SpecValidation.problems(c)).hasSize(1);
        c.getSpec().auth.jwt.secretRef = new SecretKeyRef("a", null);
        assertThat(SpecValidation.problems(c)).isEmpty();
        c.getSpec().auth.jwt.publicKeySecretRef = new SecretKeyRef("b", null);
        assertThat(SpecValidation.problems(c)).hasSize(1);
        c.getSpec().auth.jwt.secretRef = null;
        c.getSpec().auth.jwt.publicKeySecretRef = null;
        c.getSpec().auth.jwt.jwksSecretRef = new SecretKeyRef("k", null);
        assertThat(SpecValidation.problems(c)).isEmpty();
        c.getSpec().auth.jwt.jwksUrl = "https://idp.example/jwks";
        assertThat(SpecValidation.problems(c)).containsExactly("spec." + AuthSpec.Jwt.ONE_KEY_SOURCE);
    }

    @Test
    void deliveryNamesEachBadFieldAsTheBrokerWould() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().delivery = new DeliverySpec();
        c.getSpec().delivery.history = List.of(new DeliverySpec.History("live://*", 100, "5m"),
                new DeliverySpec.History("chat://*", 1000, "1h"));
        c.getSpec().delivery.dedupe = new DeliverySpec.Dedupe();
        c.getSpec().delivery.dedupe.window = "90s";
        assertThat(SpecValidation.problems(c)).isEmpty();

        c.getSpec().delivery.history = List.of(new DeliverySpec.History("live://*", 100, "0s"),
                new DeliverySpec.History("  ", null, null), new DeliverySpec.History("live://*", 5, "1m"));
        c.getSpec().delivery.dedupe.window = "0m0s";
        c.getSpec().delivery.presence = List.of("chat://*", " ", "");
        assertThat(SpecValidation.problems(c)).containsExactly(
                "spec.delivery.history[0].ttl must be a positive duration (such as 5m), got 0s",
                "spec.delivery.history[1].pattern must not be blank (use * to match every room)",
                "spec.delivery.history lists a pattern more than once (the first would always win): 'live://*'",
                "spec.delivery.presence[1] must not be blank (use * to match every room)",
                "spec.delivery.presence patterns must have 1 to 256 characters each (delivery.presence[2])",
                "spec.delivery.dedupe.window must be a positive duration (such as 5m), got 0m0s");
    }

    @Test
    void userSecretsOfProductionAreListedWithTheirFields() {
        assertThat(SecretRefs.userProvided(Examples.load("production.yaml")))
                .extracting(SecretRefs.Ref::field, SecretRefs.Ref::name, SecretRefs.Ref::key)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("spec.redis.external.passwordSecretRef", "im-redis", "password"),
                        org.assertj.core.groups.Tuple.tuple("spec.mq.kafka.authSecretRef", "im-kafka", "username"),
                        org.assertj.core.groups.Tuple.tuple("spec.mq.kafka.authSecretRef", "im-kafka", "password"),
                        org.assertj.core.groups.Tuple.tuple("spec.auth.jwt.publicKeySecretRef", "im-jwt", "public.pem"),
                        org.assertj.core.groups.Tuple.tuple("spec.tls.secretName", "im-tls", "tls.crt"),
                        org.assertj.core.groups.Tuple.tuple("spec.tls.secretName", "im-tls", "tls.key"));
        assertThat(SecretRefs.userProvided(Examples.load("quickstart.yaml"))).isEmpty();
    }
}
