package dev.imcluster.operator.model;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.CometConfig;
import dev.imcluster.broker.config.ConfigLoader;
import dev.imcluster.broker.config.DeliveryConfig;
import dev.imcluster.broker.config.JobConfig;
import dev.imcluster.broker.config.LogicConfig;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.operator.api.v1alpha1.AuthSpec;
import dev.imcluster.operator.api.v1alpha1.CometSpec;
import dev.imcluster.operator.api.v1alpha1.LogicSpec;
import dev.imcluster.operator.api.v1alpha1.DeliverySpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.SecretKeyRef;
import dev.imcluster.operator.testing.Examples;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract between operator and broker: the broker's own strict ConfigLoader accepts every config the operator
 * renders, and reads the values the operator meant. (Test scope only: the two share no main code.)
 */
class BrokerConfigContractTest {

    static Iterable<String> examples() {
        return Examples.NAMES;
    }

    @ParameterizedTest
    @MethodSource("examples")
    void brokerAcceptsTheConfigRenderedForEveryExample(String example) {
        PubSubCluster c = Examples.load(example);
        BrokerConfigRenderer.Rendered rendered = BrokerConfigRenderer.render(c);

        // as in the pod: user names (Kafka SASL, MQTT) come from Secrets through env overrides
        BrokerConfig config = ConfigLoader.parse(rendered.yaml(),
                DeploymentModel.configEnv(c, Role.COMET, rendered, SwapState.of(c.getStatus())));

        assertThat(config.bindAddress).isEqualTo("0.0.0.0");
        assertThat(config.admin.port).isEqualTo(Ports.ADMIN);
        assertThat(config.comet.logicAddress).isEqualTo(c.getMetadata().getName() + "-logic:3119");
        assertThat(config.job.comets.mode).isEqualTo(JobConfig.DiscoveryMode.DNS);
        assertThat(config.job.comets.dnsName).isEqualTo(c.getMetadata().getName() + "-comet-headless.demo.svc");
        assertThat(config.logic.sessionStore).isEqualTo(LogicConfig.SessionStoreKind.redis);
        assertThat(config.mq.backend.name()).isEqualTo(c.getSpec().mq.backend.name());
    }

    /** An external Redis run by Sentinel: the roles look the master up through the listed sentinels. */
    @Test
    void anExternalRedisBehindSentinelsReachesTheBrokerAsItsSentinelSection() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().redis.managed = null;
        c.getSpec().redis.external = new dev.imcluster.operator.api.v1alpha1.RedisSpec.External();
        c.getSpec().redis.external.sentinel = new dev.imcluster.operator.api.v1alpha1.RedisSpec.Sentinel();
        c.getSpec().redis.external.sentinel.masterName = "mymaster";
        c.getSpec().redis.external.sentinel.addresses = List.of("redis-sentinel-0.redis:26379", "redis:26379");
        c.getSpec().redis.external.sentinel.passwordSecretRef = new SecretKeyRef("sentinel-auth", null);
        c.getSpec().redis.external.passwordSecretRef = new SecretKeyRef("redis-auth", "pw");

        BrokerConfig config = load(c, Role.LOGIC);
        assertThat(config.redis.sentinel.enabled()).isTrue();
        assertThat(config.redis.sentinel.masterName).isEqualTo("mymaster");
        assertThat(config.redis.sentinel.addresses).containsExactly("redis-sentinel-0.redis:26379", "redis:26379");
        var env = DeploymentModel.desired(c, Role.LOGIC, BrokerConfigRenderer.render(c), OperatorConfig.defaults(),
                ApiCapabilities.current(), null).getSpec().getTemplate().getSpec().getContainers().get(0).getEnv();
        assertThat(env).anyMatch(e -> e.getName().equals(DeploymentModel.SENTINEL_PASSWORD_ENV)
                && e.getValueFrom().getSecretKeyRef().getName().equals("sentinel-auth")
                && e.getValueFrom().getSecretKeyRef().getKey().equals("password"));
        assertThat(env).anyMatch(e -> e.getName().equals(DeploymentModel.REDIS_PASSWORD_ENV)
                && e.getValueFrom().getSecretKeyRef().getName().equals("redis-auth"));
        assertThat(SecretRefs.userProvided(c)).extracting(SecretRefs.Ref::field)
                .contains("spec.redis.external.sentinel.passwordSecretRef", "spec.redis.external.passwordSecretRef");
    }

    /** As each pod starts: its role's file, the environment its container gets, the role's defaults. */
    private static BrokerConfig load(PubSubCluster c, Role role) {
        BrokerConfigRenderer.Rendered r = BrokerConfigRenderer.render(c);
        return ConfigLoader.parse(r.yaml(role), DeploymentModel.configEnv(c, role, r, SwapState.of(c.getStatus())),
                ConfigLoader.roleDefaults(role.id()));
    }

    @ParameterizedTest
    @MethodSource("examples")
    void everyRoleStartsWithTheFileAndEnvironmentItsPodGets(String example) {
        PubSubCluster c = Examples.load(example);
        for (Role role : Role.values()) {
            assertThat(load(c, role).mq.backend.name()).as(role.id()).isEqualTo(c.getSpec().mq.backend.name());
        }
    }

    @Test
    void configKeysReachTheBrokerInTheirOrderOfLayers() {
        PubSubCluster c = Examples.load("production.yaml");
        c.getSpec().config = Examples.config("comet: {protocol: {sendQueueSize: 2048, maxBodySize: 8192}}\n"
                + "mq: {maxInFlight: 512, kafka: {partitions: 24, properties: {compression.type: lz4}}}\n");
        c.getSpec().comet.config = Examples.config("comet: {protocol: {sendQueueSize: 4096}}");
        c.getSpec().job.config = Examples.config("mq: {maxInFlight: 4096}\njob: {pushTimeout: 3s}");
        assertThat(SpecValidation.problems(c)).isEmpty();

        CometConfig comet = load(c, Role.COMET).comet;
        assertThat(comet.protocol.sendQueueSize).isEqualTo(4096);
        assertThat(comet.protocol.maxBodySize).isEqualTo(8192);
        assertThat(comet.maxConnections).as("typed field kept").isEqualTo(200000);
        BrokerConfig logic = load(c, Role.LOGIC);
        assertThat(logic.comet.protocol.sendQueueSize).isEqualTo(2048);
        assertThat(logic.mq.maxInFlight).isEqualTo(512);
        assertThat(logic.mq.kafka.partitions).isEqualTo(24);
        assertThat(logic.mq.kafka.properties).containsEntry("compression.type", "lz4");
        assertThat(logic.mq.kafka.tls).isTrue();
        BrokerConfig job = load(c, Role.JOB);
        assertThat(job.mq.maxInFlight).isEqualTo(4096);
        assertThat(job.job.pushTimeout).isEqualTo(Duration.ofSeconds(3));
        assertThat(job.mq.kafka.bootstrapServers).isEqualTo("kafka-bootstrap.kafka.svc:9093");
    }

    @Test
    void quickstartIsGoimAuthOnRedisStreamsWithTheManagedRedis() {
        BrokerConfig config = ConfigLoader.parse(BrokerConfigRenderer.render(Examples.load("quickstart.yaml")).yaml(),
                Map.of());
        assertThat(config.logic.auth.mode).isEqualTo(LogicConfig.AuthMode.goim);
        assertThat(config.mq.backend).isEqualTo(MqConfig.Backend.redis);
        assertThat(config.redis.address).isEqualTo("quickstart-redis:6379");
    }

    @Test
    void productionIsKafkaOverSaslSslWithRs256AndTheUsernameFromTheEnvironment() {
        String yaml = BrokerConfigRenderer.render(Examples.load("production.yaml")).yaml();
        BrokerConfig config = ConfigLoader.parse(yaml, Map.of(DeploymentModel.KAFKA_USERNAME_ENV, "im"));
        assertThat(config.mq.kafka.bootstrapServers).isEqualTo("kafka-bootstrap.kafka.svc:9093");
        assertThat(config.mq.kafka.properties).containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .doesNotContainKey("security.protocol");
        assertThat(config.mq.kafka.tls).isTrue();
        assertThat(config.mq.kafka.securityProtocol()).isEqualTo("SASL_SSL");
        assertThat(config.security.internalTls.enabled()).as("Kafka is checked against the internal CA").isTrue();
        assertThat(config.mq.kafka.saslPasswordFile).isEqualTo(Mounts.KAFKA_DIR + "/password");
        assertThat(config.mq.kafka.saslUsername).isEqualTo("im");
        assertThat(config.logic.auth.mode).isEqualTo(LogicConfig.AuthMode.jwt);
        assertThat(config.logic.auth.rs256PublicKeyFile).isEqualTo(Mounts.AUTH_DIR + "/public.pem");
        assertThat(config.logic.auth.issuer).isEqualTo("https://auth.example.com");
        assertThat(config.redis.address).isEqualTo("redis-master.redis.svc:6379");
        assertThat(config.job.roomBatch.maxMessages).isEqualTo(50);
        assertThat(config.job.roomBatch.maxDelay).isEqualTo(Duration.ZERO);
        assertThat(config.comet.drainTimeout).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.comet.maxConnections).isEqualTo(200000);
        assertThat(config.comet.protocol.sendQueueSize).as("spec.config").isEqualTo(2048);
        assertThat(config.redis.commandTimeout).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.mq.maxInFlight).as("job's own, not in the shared file").isEqualTo(new MqConfig().maxInFlight);
        assertThat(config.delivery.history).extracting(h -> h.pattern, h -> h.size, h -> h.ttl).containsExactly(
                org.assertj.core.groups.Tuple.tuple("live://*", 100, Duration.ofMinutes(5)),
                org.assertj.core.groups.Tuple.tuple("chat://*", 1000, Duration.ofHours(1)));
    }

    /** spec.mq.kafka.tls becomes mq.kafka.tls; the broker derives security.protocol from it and SASL. */
    @Test
    void kafkaTlsAndSaslGiveTheBrokerItsSecurityProtocol() {
        for (boolean tls : new boolean[] {false, true}) {
            for (boolean sasl : new boolean[] {false, true}) {
                PubSubCluster c = Examples.load("kafka.yaml");
                c.getSpec().mq.kafka.tls = tls ? true : null;
                if (sasl) {
                    c.getSpec().mq.kafka.authSecretRef = new dev.imcluster.operator.api.v1alpha1.MqSpec.KafkaAuth();
                    c.getSpec().mq.kafka.authSecretRef.name = "im-kafka";
                }
                BrokerConfig config = ConfigLoader.parse(BrokerConfigRenderer.render(c).yaml(),
                        sasl ? Map.of(DeploymentModel.KAFKA_USERNAME_ENV, "im") : Map.of());
                assertThat(config.mq.kafka.tls).as("tls=%s sasl=%s", tls, sasl).isEqualTo(tls);
                assertThat(config.mq.kafka.securityProtocol()).as("tls=%s sasl=%s", tls, sasl)
                        .isEqualTo((sasl ? "SASL_" : "") + (tls ? "SSL" : "PLAINTEXT"));
            }
        }
    }

    @Test
    void managedNatsUrlPointsAtTheNatsService() {
        BrokerConfig config = ConfigLoader.parse(BrokerConfigRenderer.render(Examples.load("nats.yaml")).yaml(),
                Map.of());
        assertThat(config.mq.nats.url).isEqualTo("nats://nats-im-nats:4222");
        assertThat(config.mq.nats.mode).isEqualTo(MqConfig.NatsMode.jetstream);
    }

    @Test
    void hs256SecretFileIsAccepted() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().auth = new AuthSpec();
        c.getSpec().auth.jwt = new AuthSpec.Jwt();
        c.getSpec().auth.jwt.secretRef = new SecretKeyRef("jwt", null);
        BrokerConfig config = ConfigLoader.parse(BrokerConfigRenderer.render(c).yaml(), Map.of());
        assertThat(config.logic.auth.hs256SecretFile).isEqualTo(Mounts.AUTH_DIR + "/secret");
    }

    @Test
    void aJwksSecretIsReadAsAJwkSetFileOnLogicAndComet() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().auth = new AuthSpec();
        c.getSpec().auth.jwt = new AuthSpec.Jwt();
        c.getSpec().auth.jwt.jwksSecretRef = new SecretKeyRef("idp-keys", null);
        LogicConfig.AuthConfig auth = ConfigLoader.parse(BrokerConfigRenderer.render(c).yaml(), Map.of()).logic.auth;
        assertThat(auth.mode).isEqualTo(LogicConfig.AuthMode.jwt);
        assertThat(auth.jwksFile).isEqualTo(Mounts.AUTH_DIR + "/" + AuthSpec.Jwt.DEFAULT_JWKS_KEY);
        assertThat(auth.jwksUrl).isNull();
        assertThat(auth.rs256PublicKeyFile).isNull();
        assertThat(SecretRefs.jwt(c)).get().extracting(SecretRefs.Ref::field, SecretRefs.Ref::name, SecretRefs.Ref::key)
                .containsExactly("spec.auth.jwt.jwksSecretRef", "idp-keys", "jwks.json");
        // The whole Secret is mounted (no subPath), so the kubelet's updates reach the file the broker re-reads.
        for (Role role : List.of(Role.LOGIC, Role.COMET)) {
            var deployment = DeploymentModel.desired(c, role, BrokerConfigRenderer.render(c), OperatorConfig.defaults(),
                    ApiCapabilities.current(), null);
            assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getVolumeMounts()).filteredOn(m -> m.getMountPath().equals(Mounts.AUTH_DIR))
                    .singleElement().satisfies(m -> assertThat(m.getSubPath()).isNull());
        }
    }

    @Test
    void aJwksUrlWithEveryAlgorithmAndAClockSkewIsReadAsMeant() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().auth = new AuthSpec();
        c.getSpec().auth.jwt = new AuthSpec.Jwt();
        c.getSpec().auth.jwt.jwksUrl = "https://idp.example/.well-known/jwks.json";
        c.getSpec().auth.jwt.algorithms = List.of(AuthSpec.Jwt.Algorithm.values());
        c.getSpec().auth.jwt.clockSkew = "1m30s";
        LogicConfig.AuthConfig auth = ConfigLoader.parse(BrokerConfigRenderer.render(c).yaml(), Map.of()).logic.auth;
        assertThat(auth.mode).isEqualTo(LogicConfig.AuthMode.jwt);
        assertThat(auth.jwksUrl).isEqualTo("https://idp.example/.well-known/jwks.json");
        assertThat(auth.algorithms).extracting(Enum::name).containsExactly(
                java.util.Arrays.stream(LogicConfig.JwtAlgorithm.values()).map(Enum::name).toArray(String[]::new));
        assertThat(auth.clockSkew).isEqualTo(Duration.ofSeconds(90));
        assertThat(auth.requirePermissions).isFalse();
    }

    @Test
    void requirePermissionsIsReadAsMeant() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().auth = new AuthSpec();
        c.getSpec().auth.jwt = new AuthSpec.Jwt();
        c.getSpec().auth.jwt.secretRef = new SecretKeyRef("jwt", null);
        c.getSpec().auth.jwt.requirePermissions = true;
        LogicConfig.AuthConfig auth = ConfigLoader.parse(BrokerConfigRenderer.render(c).yaml(), Map.of()).logic.auth;
        assertThat(auth.requirePermissions).isTrue();
    }

    @Test
    void deliveryIsReadAsMeantAndItsDefaultsAreTheBrokers() {
        DeliveryConfig brokerDefaults = new DeliveryConfig();
        DeliveryConfig.History entryDefaults = new DeliveryConfig.History();
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().delivery = new DeliverySpec();
        c.getSpec().delivery.history = List.of(new DeliverySpec.History("live://*", 100, "5m"),
                new DeliverySpec.History("chat://*", 1000, "1h"), new DeliverySpec.History("*", null, null));
        DeliveryConfig d = ConfigLoader.parse(BrokerConfigRenderer.render(c).yaml(), Map.of()).delivery;
        assertThat(d.history).extracting(h -> h.pattern, h -> h.size, h -> h.ttl).containsExactly(
                org.assertj.core.groups.Tuple.tuple("live://*", 100, Duration.ofMinutes(5)),
                org.assertj.core.groups.Tuple.tuple("chat://*", 1000, Duration.ofHours(1)),
                org.assertj.core.groups.Tuple.tuple("*", entryDefaults.size, entryDefaults.ttl));
        assertThat(d.dedupe.window).isEqualTo(brokerDefaults.dedupe.window);
        assertThat(d.dedupe.maxIds).isEqualTo(brokerDefaults.dedupe.maxIds);

        c.getSpec().delivery.dedupe = new DeliverySpec.Dedupe();
        c.getSpec().delivery.dedupe.window = "90s";
        c.getSpec().delivery.dedupe.maxIds = 1 << 26;
        d = ConfigLoader.parse(BrokerConfigRenderer.render(c).yaml(), Map.of()).delivery;
        assertThat(d.dedupe.window).isEqualTo(Duration.ofSeconds(90));
        assertThat(d.dedupe.maxIds).isEqualTo(1 << 26);
    }

    @Test
    void limitsAreReadAsMeantAndUnsetOnesKeepTheBrokersDefaultsButTheConnectLimit() {
        CometConfig brokerDefaults = new CometConfig();
        PubSubCluster c = Examples.load("quickstart.yaml");
        BrokerConfig config = ConfigLoader.parse(BrokerConfigRenderer.render(c).yaml(), Map.of());
        assertThat(config.comet.connectRateLimit.enabled()).as("off in a cluster unless set").isFalse();
        assertThat(config.comet.connectRateLimit.burst).isEqualTo(brokerDefaults.connectRateLimit.burst);
        assertThat(config.comet.maxConnectionsPerAddress).isZero();
        assertThat(config.comet.publishRateLimit.enabled()).isFalse();
        assertThat(config.comet.publishRateLimitPerAddress.enabled()).isFalse();
        assertThat(config.logic.pushRateLimit.enabled()).isFalse();

        c.getSpec().comet.limits = new CometSpec.Limits();
        c.getSpec().comet.limits.connectsPerSecond = 5;
        c.getSpec().comet.limits.connectBurst = 7;
        c.getSpec().comet.limits.maxConnectionsPerAddress = 300;
        c.getSpec().comet.limits.publishesPerSecond = 50;
        c.getSpec().comet.limits.publishBurst = 60;
        c.getSpec().comet.limits.publishesPerAddressPerSecond = 500;
        c.getSpec().comet.limits.publishPerAddressBurst = 600;
        c.getSpec().logic.limits = new LogicSpec.Limits();
        c.getSpec().logic.limits.pushesPerSecond = 1000;
        c.getSpec().logic.limits.pushBurst = 2000;
        config = ConfigLoader.parse(BrokerConfigRenderer.render(c).yaml(), Map.of());
        assertThat(config.comet.connectRateLimit.rate).isEqualTo(5);
        assertThat(config.comet.connectRateLimit.burst).isEqualTo(7);
        assertThat(config.comet.maxConnectionsPerAddress).isEqualTo(300);
        assertThat(config.comet.publishRateLimit.rate).isEqualTo(50);
        assertThat(config.comet.publishRateLimit.burst).isEqualTo(60);
        assertThat(config.comet.publishRateLimitPerAddress.rate).isEqualTo(500);
        assertThat(config.comet.publishRateLimitPerAddress.burst).isEqualTo(600);
        assertThat(config.logic.pushRateLimit.rate).isEqualTo(1000);
        assertThat(config.logic.pushRateLimit.burst).isEqualTo(2000);
        assertThat(config.comet.publishRateLimit.maxKeys).as("untouched").isEqualTo(brokerDefaults.publishRateLimit.maxKeys);
    }
}
