package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.AuthSpec;
import dev.imcluster.operator.api.v1alpha1.CometSpec;
import dev.imcluster.operator.api.v1alpha1.LogicSpec;
import dev.imcluster.operator.api.v1alpha1.DeliverySpec;
import dev.imcluster.operator.api.v1alpha1.JobSpec;
import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.SecretKeyRef;
import dev.imcluster.operator.api.v1alpha1.TlsSpec;
import dev.imcluster.operator.testing.Examples;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

class BrokerConfigRendererTest {

    private static final PubSubCluster BASE = Examples.load("quickstart.yaml");

    private static BrokerConfigRenderer.Rendered renderEdited(Consumer<PubSubCluster> edit) {
        PubSubCluster c = Examples.copy(BASE);
        edit.accept(c);
        return BrokerConfigRenderer.render(c);
    }

    private static void assertRolls(Consumer<PubSubCluster> edit, Role... rolled) {
        BrokerConfigRenderer.Rendered before = BrokerConfigRenderer.render(BASE);
        BrokerConfigRenderer.Rendered after = renderEdited(edit);
        for (Role role : Role.values()) {
            boolean expected = java.util.Arrays.asList(rolled).contains(role);
            assertThat(!before.hash(role).equals(after.hash(role)))
                    .as("hash of %s changes", role).isEqualTo(expected);
        }
    }

    @Test
    void renderingIsDeterministic() {
        assertThat(BrokerConfigRenderer.render(BASE)).isEqualTo(BrokerConfigRenderer.render(Examples.copy(BASE)));
    }

    @Test
    void rendersTheClusterWiring() {
        String yaml = BrokerConfigRenderer.render(BASE).yaml();
        assertThat(yaml).contains("logicAddress: quickstart-logic:3119")
                .contains("mode: dns")
                .contains("dnsName: quickstart-comet-headless.demo.svc")
                .contains("sessionStore: redis")
                .contains("address: quickstart-redis:6379")
                .contains("bindAddress: 0.0.0.0")
                .doesNotContain("password");
    }

    @Test
    void replicaAndResourceEditsChangeNoConfigHash() {
        assertRolls(c -> {
            c.getSpec().comet.replicas = 7;
            c.getSpec().logic.replicas = 4;
        });
    }

    @Test
    void roomBatchRollsOnlyJob() {
        assertRolls(c -> {
            c.getSpec().job.roomBatch = new JobSpec.RoomBatch();
            c.getSpec().job.roomBatch.maxMessages = 99;
        }, Role.JOB);
    }

    @Test
    void cometSettingsRollOnlyComet() {
        assertRolls(c -> c.getSpec().comet.maxConnections = 1000, Role.COMET);
    }

    @Test
    void cometLimitsRollOnlyCometAndLogicLimitsOnlyLogic() {
        assertRolls(c -> {
            c.getSpec().comet.limits = new CometSpec.Limits();
            c.getSpec().comet.limits.maxConnectionsPerAddress = 100;
        }, Role.COMET);
        assertRolls(c -> {
            c.getSpec().logic.limits = new LogicSpec.Limits();
            c.getSpec().logic.limits.pushesPerSecond = 100;
        }, Role.LOGIC);
    }

    @Test
    void limitsRenderOnlyTheFieldsSet() {
        assertThat(BrokerConfigRenderer.render(BASE).yaml()).containsPattern("connectRateLimit:\\s*rate: 0\\n")
                .doesNotContain("publishRateLimit", "pushRateLimit", "PerAddress");
        String yaml = renderEdited(c -> {
            c.getSpec().comet.limits = new CometSpec.Limits();
            c.getSpec().comet.limits.connectsPerSecond = 20;
            c.getSpec().comet.limits.publishesPerSecond = 50;
            c.getSpec().comet.limits.publishBurst = 80;
            c.getSpec().logic.limits = new LogicSpec.Limits();
            c.getSpec().logic.limits.pushesPerSecond = 1000;
        }).yaml();
        assertThat(yaml).containsPattern("connectRateLimit:\\s*rate: 20\\n")
                .containsPattern("publishRateLimit:\\s*rate: 50\\s*burst: 80")
                .containsPattern("pushRateLimit:\\s*rate: 1000\\n")
                .doesNotContain("maxConnectionsPerAddress", "publishRateLimitPerAddress");
    }

    @Test
    void jwtRollsLogicAndCometWhichChecksGrpcClients() {
        assertRolls(c -> {
            c.getSpec().auth = new AuthSpec();
            c.getSpec().auth.jwt = new AuthSpec.Jwt();
            c.getSpec().auth.jwt.secretRef = new SecretKeyRef("jwt", "k");
        }, Role.LOGIC, Role.COMET);
    }

    @Test
    void aJwksUrlIsRenderedWithItsAlgorithmsAndClockSkewAndNeedsNoSecret() {
        PubSubCluster c = Examples.copy(BASE);
        c.getSpec().auth = new AuthSpec();
        c.getSpec().auth.jwt = new AuthSpec.Jwt();
        c.getSpec().auth.jwt.jwksUrl = "https://idp.example/.well-known/jwks.json";
        c.getSpec().auth.jwt.algorithms = List.of(AuthSpec.Jwt.Algorithm.RS256, AuthSpec.Jwt.Algorithm.EdDSA);
        c.getSpec().auth.jwt.clockSkew = "1m";
        String yaml = BrokerConfigRenderer.render(c).yaml();
        assertThat(yaml).containsPattern("jwksUrl: \"?https://idp.example/.well-known/jwks.json")
                .containsPattern("clockSkew: \"?1m").containsPattern("algorithms:\\s*- \"?RS256\"?\\s*- \"?EdDSA");
        assertThat(yaml).doesNotContain("hs256SecretFile").doesNotContain("rs256PublicKeyFile");
        assertThat(SecretRefs.jwt(c)).isEmpty();
        assertThat(EndpointsModel.clientAuth(c)).isEqualTo("jwt-jwks");
        assertThat(yaml).doesNotContain("requirePermissions");
        c.getSpec().auth.jwt.requirePermissions = true;
        assertThat(BrokerConfigRenderer.render(c).yaml()).containsPattern("requirePermissions: \"?true");
    }

    @Test
    void everyRoleGetsTheGeneratedInternalTokenByDefault() {
        String yaml = BrokerConfigRenderer.render(BASE).yaml();
        assertThat(yaml).contains("internalTokenFile: " + Mounts.INTERNAL_TOKEN_DIR + "/token");
        assertThat(SecretRefs.internalToken(BASE).name()).isEqualTo("quickstart-internal-token");
        assertThat(SecretRefs.generatedInternalToken(BASE)).isTrue();
    }

    @Test
    void aReferencedInternalTokenRollsEveryRole() {
        assertRolls(c -> {
            c.getSpec().auth = new AuthSpec();
            c.getSpec().auth.internalTokenSecretRef = new SecretKeyRef("my-token", "shared");
        }, Role.COMET, Role.LOGIC, Role.JOB);
        PubSubCluster c = Examples.copy(BASE);
        c.getSpec().auth = new AuthSpec();
        c.getSpec().auth.internalTokenSecretRef = new SecretKeyRef("my-token", null);
        assertThat(BrokerConfigRenderer.render(c).yaml()).contains("internalTokenFile: " + Mounts.INTERNAL_TOKEN_DIR
                + "/token");
        assertThat(SecretRefs.userProvided(c)).contains(new SecretRefs.Ref("spec.auth.internalTokenSecretRef",
                "my-token", "token"));
    }

    @Test
    void tlsTurnsOnCometTlsFromTheMountedSecretAndRollsOnlyComet() {
        assertRolls(c -> {
            c.getSpec().tls = new TlsSpec();
            c.getSpec().tls.secretName = "im-tls";
        }, Role.COMET);
        PubSubCluster c = Examples.copy(BASE);
        c.getSpec().tls = new TlsSpec();
        c.getSpec().tls.secretName = "im-tls";
        assertThat(BrokerConfigRenderer.render(c).yaml())
                .contains("certFile: " + Mounts.TLS_DIR + "/tls.crt")
                .contains("keyFile: " + Mounts.TLS_DIR + "/tls.key");
        assertThat(BrokerConfigRenderer.render(BASE).yaml()).doesNotContain("certFile");
    }

    @Test
    void backendSwapRollsLogicAndJobButNotComet() {
        assertRolls(c -> {
            c.getSpec().mq.backend = MqSpec.Backend.kafka;
            c.getSpec().mq.kafka = new MqSpec.KafkaSpec();
            c.getSpec().mq.kafka.bootstrapServers = "k:9092";
        }, Role.LOGIC, Role.JOB);
    }

    @Test
    void authUnsetIsGoimMode() {
        assertThat(BrokerConfigRenderer.render(BASE).yaml()).contains("mode: goim");
        assertThat(EndpointsModel.clientAuth(BASE)).isEqualTo("unauthenticated");
    }

    static DeliverySpec liveAndChatHistory() {
        DeliverySpec d = new DeliverySpec();
        d.history = List.of(new DeliverySpec.History("live://*", 100, "5m"),
                new DeliverySpec.History("chat://*", 1000, "1h"));
        return d;
    }

    @Test
    void deliveryRendersEveryEntryWithTheDefaultsSpelledOut() {
        PubSubCluster c = Examples.copy(BASE);
        c.getSpec().delivery = liveAndChatHistory();
        c.getSpec().delivery.history = List.of(c.getSpec().delivery.history.get(0),
                c.getSpec().delivery.history.get(1), new DeliverySpec.History("*", null, null));
        c.getSpec().delivery.presence = List.of("chat://*");
        assertThat(BrokerConfigRenderer.render(c).yaml()).contains("""
                delivery:
                  history:
                  - pattern: live://*
                    size: 100
                    ttl: 5m
                  - pattern: chat://*
                    size: 1000
                    ttl: 1h
                  - pattern: '*'
                    size: 100
                    ttl: 5m
                  presence:
                  - chat://*
                  dedupe:
                    window: 5m
                    maxIds: 4194304
                mq:
                """);
    }

    @Test
    void deliveryUnsetRendersNothingSoTheBrokerKeepsItsDefaults() {
        assertThat(BASE.getSpec().delivery).isNull();
        assertThat(BrokerConfigRenderer.render(BASE).yaml()).doesNotContain("delivery", "history", "dedupe");
    }

    @Test
    void deliveryRollsEveryRoleForEveryRoleReadsIt() {
        assertRolls(c -> c.getSpec().delivery = liveAndChatHistory(), Role.COMET, Role.LOGIC, Role.JOB);
        PubSubCluster before = Examples.copy(BASE);
        before.getSpec().delivery = liveAndChatHistory();
        PubSubCluster after = Examples.copy(before);
        after.getSpec().delivery.dedupe = new DeliverySpec.Dedupe();
        after.getSpec().delivery.dedupe.window = "10m";
        for (Role role : Role.values()) {
            assertThat(BrokerConfigRenderer.render(after).hash(role)).as("hash of %s changes", role)
                    .isNotEqualTo(BrokerConfigRenderer.render(before).hash(role));
        }
    }

    @Test
    void configKeysLayerOverTheTypedFieldsAndARolesOverTheClusters() {
        BrokerConfigRenderer.Rendered r = renderEdited(c -> {
            c.getSpec().comet.maxConnections = 100;
            c.getSpec().config = Examples.config("comet: {protocol: {sendQueueSize: 2048, maxBodySize: 8192}}");
            c.getSpec().comet.config = Examples.config("comet: {protocol: {sendQueueSize: 4096}}");
        });
        assertThat(r.yaml()).contains("maxConnections: 100").contains("sendQueueSize: 2048").contains("maxBodySize: 8192");
        assertThat(r.yaml(Role.COMET)).contains("maxConnections: 100").contains("sendQueueSize: 4096")
                .contains("maxBodySize: 8192").doesNotContain("sendQueueSize: 2048");
        assertThat(r.yaml(Role.LOGIC)).isEqualTo(r.yaml());
        assertThat(r.roleYaml()).containsOnlyKeys(Role.COMET);
        assertThat(r.key(Role.COMET)).isEqualTo("comet.yaml");
        assertThat(r.key(Role.JOB)).isEqualTo(Mounts.CONFIG_KEY);
    }

    @Test
    void withoutConfigKeysTheRenderingIsTheTypedOne() {
        BrokerConfigRenderer.Rendered typed = BrokerConfigRenderer.render(BASE);
        BrokerConfigRenderer.Rendered empty = renderEdited(c -> {
            c.getSpec().config = java.util.Map.of();
            c.getSpec().job.config = java.util.Map.of();
        });
        assertThat(empty).isEqualTo(typed);
        assertThat(typed.roleYaml()).isEmpty();
    }

    @Test
    void aConfigKeyRollsOnlyTheRolesThatReadIt() {
        assertRolls(c -> c.getSpec().config = Examples.config("comet: {protocol: {sendQueueSize: 2048}}"),
                Role.COMET);
        assertRolls(c -> c.getSpec().config = Examples.config("mq: {maxInFlight: 512}"), Role.LOGIC, Role.JOB);
        assertRolls(c -> c.getSpec().config = Examples.config("redis: {commandTimeout: 2s}"), Role.LOGIC, Role.JOB);
        assertRolls(c -> c.getSpec().config = Examples.config("logic: {auth: {jwksRefreshInterval: 1m}}"),
                Role.COMET, Role.LOGIC);
        assertRolls(c -> c.getSpec().job.config = Examples.config("mq: {maxInFlight: 512}"), Role.JOB);
        assertRolls(c -> c.getSpec().comet.config = Examples.config("comet: {buckets: 64}"), Role.COMET);
        // the queue keys of a backend not in use are in the file, and roll nobody
        assertRolls(c -> c.getSpec().config = Examples.config("mq: {kafka: {partitions: 6}}"));
    }
}
