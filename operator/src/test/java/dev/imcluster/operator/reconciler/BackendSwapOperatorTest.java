package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.ImclusterOperator;
import dev.imcluster.operator.OperatorSettings;
import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.testing.Edits;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.model.BrokerConfigRenderer;
import dev.imcluster.operator.testing.Examples;
import dev.imcluster.operator.testing.MockClusterObjects;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The backend swap driven by the operator on the fabric8 mock API server: rollouts are simulated by patching
 * Deployment status, and job's drain answer comes from a fake {@link DrainProbe} (the mock runs no pods).
 */
@EnableKubernetesMockClient(crud = true)
class BackendSwapOperatorTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static KubernetesClient client;
    static Operator operator;
    /** Per namespace: whether the fake job pods say the old backend is drained. */
    static final Map<String, Boolean> drained = new ConcurrentHashMap<>();
    static final DrainProbe FAKE = (k8s, c, state, logicHash) -> drained.getOrDefault(c.getMetadata().getNamespace(),
            false) ? new DrainProbe.Report(true, "job pods [fake] report lag 0")
            : new DrainProbe.Report(false, "fake: lag 3 on " + state.from());

    @BeforeAll
    static void startOperator() {
        client.apiextensions().v1().customResourceDefinitions()
                .load(Examples.repoRoot().resolve("crds/pubsubclusters.pubsub.imcluster.dev-v1.yml").toFile())
                .create();
        operator = newOperator();
        operator.start();
    }

    static Operator newOperator() {
        return ImclusterOperator.create(client, OperatorSettings.forTests(Set.of()), new SimpleMeterRegistry(),
                ApiCapabilities::current, FAKE);
    }

    @AfterAll
    static void stopOperator() {
        operator.stop();
    }

    private static PubSubCluster create(String ns, String example, Consumer<PubSubCluster> edit) {
        return MockClusterObjects.create(client, ns, example, edit);
    }

    private static PubSubCluster get(String ns, String name) {
        return client.resources(PubSubCluster.class).inNamespace(ns).withName(name).get();
    }

    private static void edit(String ns, String name, Consumer<PubSubCluster> edit) {
        Edits.edit(client.resources(PubSubCluster.class).inNamespace(ns).withName(name), c -> {
            edit.accept(c);
            return c;
        });
    }

    private static Deployment deployment(String ns, String name) {
        return client.apps().deployments().inNamespace(ns).withName(name).get();
    }

    private static String hash(String ns, String name) {
        Deployment d = deployment(ns, name);
        return d == null ? null
                : d.getSpec().getTemplate().getMetadata().getAnnotations().get(BrokerConfigRenderer.CONFIG_HASH_ANNOTATION);
    }

    private static Map<String, String> mqEnv(String ns, String name) {
        return deployment(ns, name).getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getName().startsWith("IMCLUSTER__MQ__"))
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }

    /** The Deployment controller finished rolling out the current template. */
    private static void rolledOut(String ns, String name) {
        Deployment d = deployment(ns, name);
        long generation = d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
        int replicas = d.getSpec().getReplicas();
        d.setStatus(new DeploymentStatusBuilder().withReplicas(replicas).withReadyReplicas(replicas)
                .withUpdatedReplicas(replicas).withAvailableReplicas(replicas).withObservedGeneration(generation)
                .build());
        client.apps().deployments().inNamespace(ns).resource(d).updateStatus();
    }

    private static PubSubClusterStatus.Migration migration(String ns, String name) {
        PubSubCluster c = get(ns, name);
        return c.getStatus() == null || c.getStatus().backend == null ? null : c.getStatus().backend.migration;
    }

    private static void awaitPhase(String ns, String name, String phase) {
        await().atMost(TIMEOUT).until(() -> migration(ns, name) != null && phase.equals(migration(ns, name).phase));
    }

    private static Condition migrating(String ns, String name) {
        return get(ns, name).getStatus().conditions.stream().filter(c -> "Migrating".equals(c.getType()))
                .findFirst().orElseThrow();
    }

    private static long events(String ns, String reason) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> reason.equals(e.getReason())).count();
    }

    @Test
    void aSwapFromManagedNatsToRedisWalksThePhasesAndRemovesNatsOnlyAtTheEnd() {
        String ns = "swap-walk";
        create(ns, "nats.yaml", c -> { });
        String name = Examples.load("nats.yaml").getMetadata().getName();
        await().atMost(TIMEOUT).until(() -> hash(ns, name + "-job") != null && hash(ns, name + "-logic") != null
                && client.apps().statefulSets().inNamespace(ns).withName(name + "-nats").get() != null);
        rolledOut(ns, name + "-job");
        rolledOut(ns, name + "-logic");
        await().atMost(TIMEOUT).until(() -> get(ns, name).getStatus() != null
                && "nats".equals(get(ns, name).getStatus().backend.active));
        String logicNats = hash(ns, name + "-logic");
        String jobNats = hash(ns, name + "-job");

        edit(ns, name, c -> c.getSpec().mq.backend = MqSpec.Backend.redis);

        // DualConsume: job rolls to consume redis + nats; logic stays on nats
        awaitPhase(ns, name, "DualConsume");
        await().atMost(TIMEOUT).until(() -> !jobNats.equals(hash(ns, name + "-job")));
        assertThat(mqEnv(ns, name + "-job")).containsEntry("IMCLUSTER__MQ__BACKEND", "redis")
                .containsEntry("IMCLUSTER__MQ__PREVIOUS__BACKEND", "nats");
        assertThat(hash(ns, name + "-logic")).isEqualTo(logicNats);
        assertThat(get(ns, name).getStatus().backend.active).isEqualTo("nats");
        assertThat(migrating(ns, name).getStatus()).isEqualTo("True");
        assertThat(migrating(ns, name).getMessage()).contains("waiting for job to roll out consuming redis and nats");

        // SwitchPublish once job rolled out: logic rolls to redis
        String jobDual = hash(ns, name + "-job");
        rolledOut(ns, name + "-job");
        awaitPhase(ns, name, "SwitchPublish");
        await().atMost(TIMEOUT).until(() -> !logicNats.equals(hash(ns, name + "-logic")));
        assertThat(mqEnv(ns, name + "-logic")).isEmpty();
        assertThat(hash(ns, name + "-job")).isEqualTo(jobDual);
        assertThat(get(ns, name).getStatus().backend.active).isEqualTo("redis");

        // Drain: waits for the job pods' answer; NATS stays
        rolledOut(ns, name + "-logic");
        awaitPhase(ns, name, "Drain");
        await().atMost(TIMEOUT).until(() -> migrating(ns, name).getMessage().contains("fake: lag 3 on nats"));
        assertThat(client.apps().statefulSets().inNamespace(ns).withName(name + "-nats").get()).isNotNull();

        // Finalize once drained: job drops nats
        drained.put(ns, true);
        awaitPhase(ns, name, "Finalize");
        await().atMost(TIMEOUT).until(() -> mqEnv(ns, name + "-job").isEmpty());
        assertThat(client.apps().statefulSets().inNamespace(ns).withName(name + "-nats").get()).isNotNull();

        // Complete: the managed NATS goes only now
        rolledOut(ns, name + "-job");
        awaitPhase(ns, name, "Complete");
        await().atMost(TIMEOUT).until(() ->
                client.apps().statefulSets().inNamespace(ns).withName(name + "-nats").get() == null);
        PubSubClusterStatus s = get(ns, name).getStatus();
        assertThat(s.backend.active).isEqualTo("redis");
        assertThat(s.backend.previous).isEqualTo("nats");
        assertThat(s.backend.migration.startedAt).isNotNull();
        assertThat(s.backend.migration.completedAt).isNotNull();
        assertThat(migrating(ns, name).getStatus()).isEqualTo("False");
        assertThat(client.configMaps().inNamespace(ns).withName(name + "-config").get().getData().get("broker.yaml"))
                .doesNotContain("url: nats://");
        for (String reason : new String[] {"BackendChanged", "MigrationDualConsume", "MigrationSwitchPublish",
                "MigrationDrain", "MigrationFinalize", "MigrationComplete"}) {
            assertThat(events(ns, reason)).as(reason).isEqualTo(1);
        }
    }

    @Test
    void aSwapFromManagedNatsToManagedMqttRunsMosquittoFromDualConsumeAndRemovesNatsAtTheEnd() {
        String ns = "swap-mqtt";
        create(ns, "nats.yaml", c -> { });
        String name = Examples.load("nats.yaml").getMetadata().getName();
        await().atMost(TIMEOUT).until(() -> hash(ns, name + "-job") != null && hash(ns, name + "-logic") != null
                && "nats".equals(get(ns, name).getStatus() == null ? null : get(ns, name).getStatus().backend.active));
        rolledOut(ns, name + "-job");
        rolledOut(ns, name + "-logic");
        assertThat(client.apps().statefulSets().inNamespace(ns).withName(name + "-mqtt").get()).isNull();

        edit(ns, name, c -> {
            c.getSpec().mq.backend = MqSpec.Backend.mqtt;
            c.getSpec().mq.mqtt = new MqSpec.MqttSpec();
            c.getSpec().mq.mqtt.managed = true;
        });

        awaitPhase(ns, name, "DualConsume");
        await().atMost(TIMEOUT).until(() -> "nats".equals(mqEnv(ns, name + "-job").get("IMCLUSTER__MQ__PREVIOUS__BACKEND")));
        assertThat(mqEnv(ns, name + "-job")).containsEntry("IMCLUSTER__MQ__BACKEND", "mqtt");
        await().atMost(TIMEOUT).until(() -> client.apps().statefulSets().inNamespace(ns).withName(name + "-mqtt").get() != null
                && client.services().inNamespace(ns).withName(name + "-mqtt").get() != null);
        assertThat(client.configMaps().inNamespace(ns).withName(name + "-config").get().getData().get("broker.yaml"))
                .contains("url: tcp://" + name + "-mqtt:1883", "url: nats://" + name + "-nats:4222");

        rolledOut(ns, name + "-job");
        awaitPhase(ns, name, "SwitchPublish");
        rolledOut(ns, name + "-logic");
        awaitPhase(ns, name, "Drain");
        drained.put(ns, true);
        awaitPhase(ns, name, "Finalize");
        await().atMost(TIMEOUT).until(() -> mqEnv(ns, name + "-job").isEmpty());
        rolledOut(ns, name + "-job");
        awaitPhase(ns, name, "Complete");
        await().atMost(TIMEOUT).until(() ->
                client.apps().statefulSets().inNamespace(ns).withName(name + "-nats").get() == null);
        assertThat(client.apps().statefulSets().inNamespace(ns).withName(name + "-mqtt").get()).isNotNull();
        assertThat(get(ns, name).getStatus().backend.active).isEqualTo("mqtt");
        assertThat(client.configMaps().inNamespace(ns).withName(name + "-config").get().getData().get("broker.yaml"))
                .contains("backend: mqtt").doesNotContain("url: nats://");
    }

    @Test
    void aRevertDuringDualConsumeCancelsTheSwapAndJobGoesBackToTheOldBackendAlone() {
        String ns = "swap-cancel";
        create(ns, "quickstart.yaml", c -> { });
        await().atMost(TIMEOUT).until(() -> hash(ns, "quickstart-job") != null && hash(ns, "quickstart-logic") != null);
        rolledOut(ns, "quickstart-job");
        rolledOut(ns, "quickstart-logic");
        await().atMost(TIMEOUT).until(() -> get(ns, "quickstart").getStatus() != null);
        String jobBefore = hash(ns, "quickstart-job");
        String logicBefore = hash(ns, "quickstart-logic");
        edit(ns, "quickstart", c -> {
            c.getSpec().mq.backend = MqSpec.Backend.kafka; // never reachable here: job's new pods never get ready
            c.getSpec().mq.kafka = new MqSpec.KafkaSpec();
            c.getSpec().mq.kafka.bootstrapServers = "kafka:9092";
        });
        awaitPhase(ns, "quickstart", "DualConsume");
        await().atMost(TIMEOUT).until(() -> mqEnv(ns, "quickstart-job").containsKey("IMCLUSTER__MQ__PREVIOUS__BACKEND"));
        assertThat(migrating(ns, "quickstart").getMessage()).contains("set spec.mq.backend back to redis to cancel");

        edit(ns, "quickstart", c -> c.getSpec().mq.backend = MqSpec.Backend.redis);
        awaitPhase(ns, "quickstart", "Cancelled");
        PubSubClusterStatus s = get(ns, "quickstart").getStatus();
        assertThat(s.backend.active).isEqualTo("redis");
        assertThat(s.backend.migration.completedAt).isNotNull();
        await().atMost(TIMEOUT).until(() -> mqEnv(ns, "quickstart-job").isEmpty());
        assertThat(hash(ns, "quickstart-job")).isEqualTo(jobBefore);
        assertThat(hash(ns, "quickstart-logic")).isEqualTo(logicBefore); // logic never moved
        assertThat(events(ns, "MigrationReverted")).isEqualTo(1);
        await().atMost(TIMEOUT).until(() -> "False".equals(migrating(ns, "quickstart").getStatus()));
    }

    @Test
    void aRestartedOperatorContinuesTheSwapAndARevertRollsBackSafely() {
        String ns = "swap-revert";
        create(ns, "quickstart.yaml", c -> { });
        await().atMost(TIMEOUT).until(() -> hash(ns, "quickstart-job") != null && hash(ns, "quickstart-logic") != null);
        rolledOut(ns, "quickstart-job");
        rolledOut(ns, "quickstart-logic");
        await().atMost(TIMEOUT).until(() -> get(ns, "quickstart").getStatus() != null);
        edit(ns, "quickstart", c -> {
            c.getSpec().mq.backend = MqSpec.Backend.kafka;
            c.getSpec().mq.kafka = new MqSpec.KafkaSpec();
            c.getSpec().mq.kafka.bootstrapServers = "kafka:9092";
        });
        awaitPhase(ns, "quickstart", "DualConsume");
        String jobDual = hash(ns, "quickstart-job");
        await().atMost(TIMEOUT).until(() -> mqEnv(ns, "quickstart-job").containsKey("IMCLUSTER__MQ__PREVIOUS__BACKEND"));
        rolledOut(ns, "quickstart-job");
        awaitPhase(ns, "quickstart", "SwitchPublish");
        String logicKafka = hash(ns, "quickstart-logic");

        // The operator restarts mid-swap: the new one renders from status exactly what the old one did.
        operator.stop();
        operator = newOperator();
        operator.start();
        rolledOut(ns, "quickstart-job"); // an event, so the new operator reconciles
        await().atMost(TIMEOUT).until(() -> migrating(ns, "quickstart").getMessage()
                .contains("waiting for logic to roll out publishing to kafka"));
        assertThat(migration(ns, "quickstart").phase).isEqualTo("SwitchPublish");
        assertThat(hash(ns, "quickstart-logic")).isEqualTo(logicKafka);
        assertThat(mqEnv(ns, "quickstart-job")).containsEntry("IMCLUSTER__MQ__PREVIOUS__BACKEND", "redis");

        // Revert while logic may publish to both: the swap reverses, job keeps consuming both until kafka drains.
        edit(ns, "quickstart", c -> c.getSpec().mq.backend = MqSpec.Backend.redis);
        await().atMost(TIMEOUT).until(() -> migration(ns, "quickstart") != null
                && "kafka".equals(migration(ns, "quickstart").from));
        assertThat(migration(ns, "quickstart").to).isEqualTo("redis");
        assertThat(migration(ns, "quickstart").phase).isEqualTo("SwitchPublish");
        await().atMost(TIMEOUT).until(() -> !logicKafka.equals(hash(ns, "quickstart-logic"))
                && "kafka".equals(mqEnv(ns, "quickstart-job").get("IMCLUSTER__MQ__PREVIOUS__BACKEND")));
        assertThat(mqEnv(ns, "quickstart-job")).containsEntry("IMCLUSTER__MQ__BACKEND", "redis");
        assertThat(hash(ns, "quickstart-job")).isNotEqualTo(jobDual);
        assertThat(events(ns, "MigrationReverted")).isEqualTo(1);

        rolledOut(ns, "quickstart-logic");
        rolledOut(ns, "quickstart-job");
        awaitPhase(ns, "quickstart", "Drain");
        drained.put(ns, true);
        awaitPhase(ns, "quickstart", "Finalize");
        await().atMost(TIMEOUT).until(() -> mqEnv(ns, "quickstart-job").isEmpty());
        rolledOut(ns, "quickstart-job");
        awaitPhase(ns, "quickstart", "Complete");
        PubSubClusterStatus s = get(ns, "quickstart").getStatus();
        assertThat(s.backend.active).isEqualTo("redis");
        assertThat(s.backend.previous).isEqualTo("kafka");
        assertThat(client.configMaps().inNamespace(ns).withName("quickstart-config").get().getData().get("broker.yaml"))
                .doesNotContain("kafka");
    }
}
