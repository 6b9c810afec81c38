package dev.imcluster.operator.model;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.ConfigLoader;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.SwapState.Phase;
import dev.imcluster.operator.testing.Examples;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What each role is rendered with in each phase of a backend swap (redis to kafka), read back through the broker's
 * own ConfigLoader with the role's env overrides, and which roles each phase rolls (hash changes).
 */
class SwapRenderingTest {

    private static PubSubCluster cluster(MqSpec.Backend backend) {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().mq.backend = backend;
        c.getSpec().mq.kafka = new MqSpec.KafkaSpec();
        c.getSpec().mq.kafka.bootstrapServers = "kafka:9092";
        return c;
    }

    private static final PubSubCluster SPEC = cluster(MqSpec.Backend.kafka);
    private static final SwapState DUAL = new SwapState(MqSpec.Backend.redis, MqSpec.Backend.kafka,
            Phase.DualConsume);

    /** The config the broker of {@code role} runs with: the file plus the role's env, through the broker's loader. */
    private static BrokerConfig effective(BrokerConfigRenderer.Rendered r, Role role) {
        Map<String, String> env = new HashMap<>(r.env(role));
        env.put("IMCLUSTER__LOGIC__AUTH__MODE", "goim");
        return ConfigLoader.parse(r.yaml(), env);
    }

    @Test
    void eachPhaseRendersEachRoleWithTheRightBackends() {
        BrokerConfigRenderer.Rendered steadyRedis = BrokerConfigRenderer.render(cluster(MqSpec.Backend.redis));
        BrokerConfigRenderer.Rendered steadyKafka = BrokerConfigRenderer.render(SPEC);
        BrokerConfigRenderer.Rendered dual = BrokerConfigRenderer.render(SPEC, DUAL);
        BrokerConfigRenderer.Rendered switching = BrokerConfigRenderer.render(SPEC, DUAL.withPhase(Phase.SwitchPublish));
        BrokerConfigRenderer.Rendered drain = BrokerConfigRenderer.render(SPEC, DUAL.withPhase(Phase.Drain));
        BrokerConfigRenderer.Rendered finalize = BrokerConfigRenderer.render(SPEC, DUAL.withPhase(Phase.Finalize));

        // DualConsume: job consumes kafka and redis; logic still publishes to redis and does not roll.
        assertThat(effective(dual, Role.JOB).mq.backend).isEqualTo(MqConfig.Backend.kafka);
        assertThat(effective(dual, Role.JOB).mq.previous.asBackend()).isEqualTo(MqConfig.Backend.redis);
        assertThat(effective(dual, Role.JOB).mq.kafka.bootstrapServers).isEqualTo("kafka:9092");
        assertThat(effective(dual, Role.LOGIC).mq.backend).isEqualTo(MqConfig.Backend.redis);
        assertThat(effective(dual, Role.LOGIC).mq.previous.asBackend()).isNull();
        assertThat(dual.env(Role.LOGIC)).isEmpty();
        assertThat(dual.hash(Role.LOGIC)).isEqualTo(steadyRedis.hash(Role.LOGIC));
        assertThat(dual.hash(Role.JOB)).isNotEqualTo(steadyRedis.hash(Role.JOB));
        assertThat(dual.hash(Role.COMET)).isEqualTo(steadyRedis.hash(Role.COMET));

        // SwitchPublish and Drain: logic rolls to kafka; job's effective config (and pod env) stays, so it does not.
        assertThat(effective(switching, Role.LOGIC).mq.backend).isEqualTo(MqConfig.Backend.kafka);
        assertThat(switching.hash(Role.LOGIC)).isNotEqualTo(dual.hash(Role.LOGIC));
        assertThat(switching.hash(Role.JOB)).isEqualTo(dual.hash(Role.JOB));
        assertThat(switching.env(Role.JOB)).isEqualTo(dual.env(Role.JOB));
        assertThat(effective(switching, Role.JOB).mq.previous.asBackend()).isEqualTo(MqConfig.Backend.redis);
        assertThat(drain).isEqualTo(switching);

        // Finalize: job drops redis; everything is what a cluster created on kafka would run.
        assertThat(effective(finalize, Role.JOB).mq.previous.asBackend()).isNull();
        assertThat(finalize.env(Role.JOB)).isEmpty();
        assertThat(finalize.hashes()).isEqualTo(steadyKafka.hashes());
        assertThat(finalize.yaml()).isEqualTo(steadyKafka.yaml());
    }

    @Test
    void theRendererFollowsTheMigrationRecordedInStatus() {
        PubSubCluster c = Examples.copy(SPEC);
        c.setStatus(new dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus());
        c.getStatus().backend = new dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus.BackendStatus();
        c.getStatus().backend.active = "redis";
        c.getStatus().backend.migration = new dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus.Migration();
        c.getStatus().backend.migration.from = "redis";
        c.getStatus().backend.migration.to = "kafka";
        c.getStatus().backend.migration.phase = "DualConsume";
        assertThat(BrokerConfigRenderer.render(c)).isEqualTo(BrokerConfigRenderer.render(SPEC, DUAL));
        c.getStatus().backend.migration.phase = "Complete";
        assertThat(BrokerConfigRenderer.render(c)).isEqualTo(BrokerConfigRenderer.render(SPEC));
    }

    @Test
    void jobPodsCarryTheSwapAsEnvOverrides() {
        var d = DeploymentModel.desired(SPEC, Role.JOB, BrokerConfigRenderer.render(SPEC, DUAL),
                OperatorConfig.defaults(), ApiCapabilities.current(), null);
        var env = d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv();
        assertThat(env).anySatisfy(e -> {
            assertThat(e.getName()).isEqualTo(BrokerConfigRenderer.MQ_PREVIOUS_ENV);
            assertThat(e.getValue()).isEqualTo("redis");
        });
        var logic = DeploymentModel.desired(SPEC, Role.LOGIC, BrokerConfigRenderer.render(SPEC, DUAL),
                OperatorConfig.defaults(), ApiCapabilities.current(), null);
        assertThat(logic.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
                .noneMatch(e -> e.getName().startsWith("IMCLUSTER__MQ"));
    }

    @Test
    void managedNatsStaysUntilASwapAwayFromItIsComplete() {
        PubSubCluster c = Examples.load("nats.yaml");
        assertThat(NatsModel.runs(c)).isTrue();
        c.getSpec().mq.backend = MqSpec.Backend.redis;
        assertThat(NatsModel.runs(c)).isFalse();
        c.setStatus(new dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus());
        c.getStatus().backend = new dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus.BackendStatus();
        c.getStatus().backend.migration = new dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus.Migration();
        c.getStatus().backend.migration.from = "nats";
        c.getStatus().backend.migration.to = "redis";
        for (Phase p : new Phase[] {Phase.DualConsume, Phase.SwitchPublish, Phase.Drain, Phase.Finalize}) {
            c.getStatus().backend.migration.phase = p.name();
            assertThat(NatsModel.runs(c)).as(p.name()).isTrue();
        }
        c.getStatus().backend.migration.phase = "Complete";
        assertThat(NatsModel.runs(c)).isFalse();
    }

    @Test
    void theOldBackendsSettingsMustStayUntilTheSwapIsComplete() {
        PubSubCluster c = Examples.copy(SPEC);
        c.getSpec().mq.backend = MqSpec.Backend.redis;
        c.setStatus(new dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus());
        c.getStatus().backend = new dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus.BackendStatus();
        c.getStatus().backend.migration = new dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus.Migration();
        c.getStatus().backend.migration.from = "kafka";
        c.getStatus().backend.migration.to = "redis";
        c.getStatus().backend.migration.phase = "Drain";
        assertThat(SpecValidation.problems(c)).isEmpty();
        c.getSpec().mq.kafka = null;
        assertThat(SpecValidation.problems(c)).singleElement().asString()
                .contains("spec.mq.kafka.bootstrapServers is still needed until the backend swap away from kafka is Complete");
        c.getStatus().backend.migration.phase = "Complete";
        assertThat(SpecValidation.problems(c)).isEmpty();
    }
}
