package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.ImclusterOperator;
import dev.imcluster.operator.OperatorSettings;
import dev.imcluster.operator.api.v1alpha1.AuthSpec;
import dev.imcluster.operator.api.v1alpha1.JobSpec;
import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.testing.Edits;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import dev.imcluster.operator.api.v1alpha1.SecretKeyRef;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.model.BrokerConfigRenderer;
import dev.imcluster.operator.testing.Examples;
import dev.imcluster.operator.testing.MockClusterObjects;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The operator against the fabric8 mock API server in CRUD mode (SSA off: the mock does not implement it). The mock
 * has no controllers: Deployment readiness is faked by patching status, and garbage collection is shown by owner
 * references (the real API server's collector acts on them; e2e checks it).
 */
@EnableKubernetesMockClient(crud = true)
class PubSubClusterReconcilerTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static KubernetesClient client;
    static Operator operator;

    @BeforeAll
    static void startOperator() {
        client.apiextensions().v1().customResourceDefinitions()
                .load(Examples.repoRoot().resolve("crds/pubsubclusters.pubsub.imcluster.dev-v1.yml").toFile())
                .create();
        operator = ImclusterOperator.create(client, OperatorSettings.forTests(Set.of()), new SimpleMeterRegistry(),
                ApiCapabilities::current);
        operator.start();
    }

    @AfterAll
    static void stopOperator() {
        operator.stop();
    }

    // ---- helpers ----

    private static PubSubCluster create(String ns, String example, Consumer<PubSubCluster> edit) {
        return MockClusterObjects.create(client, ns, example, edit);
    }

    private static Resource<PubSubCluster> cluster(String ns, String name) {
        return client.resources(PubSubCluster.class).inNamespace(ns).withName(name);
    }

    private static Deployment deployment(String ns, String name) {
        return client.apps().deployments().inNamespace(ns).withName(name).get();
    }

    private static Deployment awaitDeployment(String ns, String name) {
        await().atMost(TIMEOUT).until(() -> deployment(ns, name) != null);
        return deployment(ns, name);
    }

    private static Condition condition(PubSubCluster c, String type) {
        if (c == null || c.getStatus() == null || c.getStatus().conditions == null) {
            return null;
        }
        return c.getStatus().conditions.stream().filter(x -> type.equals(x.getType())).findFirst().orElse(null);
    }

    private static boolean conditionIs(String ns, String name, String type, String status) {
        Condition c = condition(cluster(ns, name).get(), type);
        return c != null && status.equals(c.getStatus());
    }

    /** Edits the spec and waits until the operator has reconciled that generation (status.observedGeneration). */
    private static PubSubCluster editAndAwaitObserved(String ns, String name, Consumer<PubSubCluster> edit) {
        PubSubCluster edited = Edits.edit(cluster(ns, name), c -> {
            edit.accept(c);
            return c;
        });
        long generation = edited.getMetadata().getGeneration();
        await().atMost(TIMEOUT).until(() -> {
            PubSubCluster now = cluster(ns, name).get();
            return now.getStatus() != null && now.getStatus().observedGeneration != null
                    && now.getStatus().observedGeneration >= generation;
        });
        return cluster(ns, name).get();
    }

    private static String hash(Deployment d) {
        return d.getSpec().getTemplate().getMetadata().getAnnotations().get(BrokerConfigRenderer.CONFIG_HASH_ANNOTATION);
    }

    private static List<Event> events(String ns, String reason) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> reason.equals(e.getReason())).toList();
    }

    private static List<HasMetadata> ownedObjects(String ns) {
        return MockClusterObjects.ownedKinds(client, ns);
    }

    private static Map<String, String> resourceVersions(String ns) {
        Map<String, String> m = new HashMap<>();
        ownedObjects(ns).forEach(o -> m.put(o.getKind() + "/" + o.getMetadata().getName(),
                o.getMetadata().getResourceVersion()));
        return m;
    }

    private static void awaitAllCreated(String ns, String name) {
        await().atMost(TIMEOUT).until(() -> ownedObjects(ns).size() >= 16);
        awaitDeployment(ns, name + "-comet");
    }

    // ---- tests ----

    @Test
    void createsEveryObjectOwnedByTheCluster() {
        String ns = "t-create";
        PubSubCluster created = create(ns, "quickstart.yaml", c -> { });
        String uid = created.getMetadata().getUid();

        List<String> expected = List.of("ConfigMap/quickstart-config", "ServiceAccount/quickstart-broker",
                "Deployment/quickstart-comet", "Deployment/quickstart-logic", "Deployment/quickstart-job",
                "Service/quickstart-comet", "Service/quickstart-comet-headless", "Service/quickstart-logic",
                "Service/quickstart-metrics", "Service/quickstart-redis", "PodDisruptionBudget/quickstart-comet",
                "PodDisruptionBudget/quickstart-logic", "PodDisruptionBudget/quickstart-job",
                "StatefulSet/quickstart-redis", "Secret/quickstart-redis-password",
                "Secret/quickstart-internal-token");
        await().atMost(TIMEOUT).untilAsserted(() ->
                assertThat(resourceVersions(ns).keySet()).containsExactlyInAnyOrderElementsOf(expected));
        for (HasMetadata o : ownedObjects(ns)) {
            List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
            assertThat(refs).as(o.getKind() + " " + o.getMetadata().getName()).hasSize(1);
            assertThat(refs.get(0).getUid()).isEqualTo(uid);
            assertThat(refs.get(0).getKind()).isEqualTo("PubSubCluster");
            assertThat(refs.get(0).getController()).isTrue();
        }
        assertThat(client.rbac().roles().inNamespace(ns).list().getItems()).isEmpty();
        assertThat(client.rbac().roleBindings().inNamespace(ns).list().getItems()).isEmpty();

        await().atMost(TIMEOUT).until(() -> conditionIs(ns, "quickstart", "SpecValid", "True")
                && conditionIs(ns, "quickstart", "Progressing", "True"));
        PubSubClusterStatus status = cluster(ns, "quickstart").get().getStatus();
        assertThat(condition(cluster(ns, "quickstart").get(), "Ready").getStatus()).isEqualTo("False");
        assertThat(status.phase).isEqualTo("Pending");
        assertThat(status.clientAuth).isEqualTo("unauthenticated");
        assertThat(status.backend.active).isEqualTo("redis");
        assertThat(status.endpoints.tcp).isEqualTo("quickstart-comet.t-create.svc:3101");
        assertThat(status.comet.replicas).isEqualTo(1);
    }

    @Test
    void deletingTheClusterIsNotBlockedAndLeavesOnlyGarbageCollectableObjects() {
        String ns = "t-delete";
        PubSubCluster created = create(ns, "quickstart.yaml", c -> { });
        awaitAllCreated(ns, "quickstart");
        assertThat(cluster(ns, "quickstart").get().getMetadata().getFinalizers()).isNullOrEmpty();

        cluster(ns, "quickstart").delete();
        await().atMost(TIMEOUT).until(() -> cluster(ns, "quickstart").get() == null);
        // No finalizer and nothing recreated: the API server's garbage collector deletes every object through
        // its owner reference to the deleted cluster.
        assertThat(ownedObjects(ns)).isNotEmpty().allSatisfy(o -> assertThat(o.getMetadata().getOwnerReferences())
                .extracting(OwnerReference::getUid).containsExactly(created.getMetadata().getUid()));
    }

    @Test
    void scalingCometChangesOnlyTheCometDeployment() {
        String ns = "t-scale";
        create(ns, "quickstart.yaml", c -> { });
        awaitAllCreated(ns, "quickstart");
        await().atMost(TIMEOUT).until(() -> cluster(ns, "quickstart").get().getStatus() != null);
        Map<String, String> before = resourceVersions(ns);

        editAndAwaitObserved(ns, "quickstart", c -> c.getSpec().comet.replicas = 4);

        await().atMost(TIMEOUT).until(() -> deployment(ns, "quickstart-comet").getSpec().getReplicas() == 4);
        Map<String, String> after = resourceVersions(ns);
        for (String key : before.keySet()) {
            if (key.equals("Deployment/quickstart-comet")) {
                assertThat(after.get(key)).as(key).isNotEqualTo(before.get(key));
            } else {
                assertThat(after.get(key)).as(key + " untouched").isEqualTo(before.get(key));
            }
        }
    }

    @Test
    void aConfigChangeRollsOnlyTheRolesThatReadIt() {
        String ns = "t-config";
        create(ns, "quickstart.yaml", c -> { });
        awaitAllCreated(ns, "quickstart");
        Map<String, String> hashes = new HashMap<>();
        for (String role : List.of("comet", "logic", "job")) {
            hashes.put(role, hash(deployment(ns, "quickstart-" + role)));
        }
        String config = client.configMaps().inNamespace(ns).withName("quickstart-config").get().getData().get("broker.yaml");

        editAndAwaitObserved(ns, "quickstart", c -> {
            c.getSpec().job.roomBatch = new JobSpec.RoomBatch();
            c.getSpec().job.roomBatch.maxMessages = 64;
        });

        await().atMost(TIMEOUT).until(() -> !hash(deployment(ns, "quickstart-job")).equals(hashes.get("job")));
        assertThat(hash(deployment(ns, "quickstart-comet"))).isEqualTo(hashes.get("comet"));
        assertThat(hash(deployment(ns, "quickstart-logic"))).isEqualTo(hashes.get("logic"));
        assertThat(client.configMaps().inNamespace(ns).withName("quickstart-config").get().getData().get("broker.yaml"))
                .isNotEqualTo(config).contains("maxMessages: 64");

        // Swapping the backend starts a migration (BackendSwapOperatorTest walks it): job rolls first to consume
        // both backends; logic keeps publishing to the old one until job has rolled out; comet never rolls.
        String logicHash = hash(deployment(ns, "quickstart-logic"));
        String jobHash = hash(deployment(ns, "quickstart-job"));
        editAndAwaitObserved(ns, "quickstart", c -> {
            c.getSpec().mq.backend = MqSpec.Backend.kafka;
            c.getSpec().mq.kafka = new MqSpec.KafkaSpec();
            c.getSpec().mq.kafka.bootstrapServers = "kafka:9092";
        });
        await().atMost(TIMEOUT).until(() -> !hash(deployment(ns, "quickstart-job")).equals(jobHash));
        assertThat(hash(deployment(ns, "quickstart-logic"))).isEqualTo(logicHash);
        assertThat(hash(deployment(ns, "quickstart-comet"))).isEqualTo(hashes.get("comet"));
        await().atMost(TIMEOUT).untilAsserted(() -> {
            PubSubClusterStatus s = cluster(ns, "quickstart").get().getStatus();
            assertThat(s.backend.active).isEqualTo("redis");
            assertThat(s.backend.previous).isEqualTo("redis");
            assertThat(s.backend.migration.phase).isEqualTo("DualConsume");
        });
        assertThat(events(ns, "BackendChanged")).hasSize(1);
    }

    @Test
    void readyOnlyWhenEveryRoleIsRolledOutAndReady() {
        String ns = "t-ready";
        create(ns, "quickstart.yaml", c -> c.getSpec().comet.replicas = 2);
        awaitAllCreated(ns, "quickstart");

        markReady(ns, "quickstart-comet", 1);
        markReady(ns, "quickstart-logic", 1);
        markReady(ns, "quickstart-job", 1);
        markStatefulSetReady(ns, "quickstart-redis");
        await().atMost(TIMEOUT).untilAsserted(() -> {
            PubSubCluster c = cluster(ns, "quickstart").get();
            assertThat(c.getStatus().comet.ready).isEqualTo("1/2");
            assertThat(condition(c, "Ready").getStatus()).isEqualTo("False");
            assertThat(condition(c, "Ready").getMessage()).contains("comet 1/2 ready");
        });

        markReady(ns, "quickstart-comet", 2);
        await().atMost(TIMEOUT).until(() -> conditionIs(ns, "quickstart", "Ready", "True"));
        PubSubCluster c = cluster(ns, "quickstart").get();
        assertThat(c.getStatus().comet.readyReplicas).isEqualTo(2);
        assertThat(c.getStatus().comet.replicas).isEqualTo(2);
        assertThat(c.getStatus().logic.ready).isEqualTo("1/1");
        assertThat(c.getStatus().job.ready).isEqualTo("1/1");
        assertThat(c.getStatus().phase).isEqualTo("Running");
        assertThat(condition(c, "Progressing").getStatus()).isEqualTo("False");
        assertThat(condition(c, "Degraded").getStatus()).isEqualTo("False");
        assertThat(condition(c, "BackendReady").getStatus()).isEqualTo("True");
        assertThat(events(ns, "Ready")).hasSize(1);

        // A settled cluster is not rewritten: the Ready condition keeps its transition time.
        String since = condition(c, "Ready").getLastTransitionTime();
        editAndAwaitObserved(ns, "quickstart", x -> x.getMetadata().getLabels().put("touched", "yes"));
        assertThat(condition(cluster(ns, "quickstart").get(), "Ready").getLastTransitionTime()).isEqualTo(since);
    }

    private static void markReady(String ns, String name, int ready) {
        Deployment d = deployment(ns, name);
        long generation = d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
        d.setStatus(new DeploymentStatusBuilder().withReplicas(d.getSpec().getReplicas()).withReadyReplicas(ready)
                .withUpdatedReplicas(d.getSpec().getReplicas()).withAvailableReplicas(ready)
                .withObservedGeneration(generation).build());
        client.apps().deployments().inNamespace(ns).resource(d).updateStatus();
    }

    private static void markStatefulSetReady(String ns, String name) {
        StatefulSet s = client.apps().statefulSets().inNamespace(ns).withName(name).get();
        s.setStatus(new StatefulSetStatusBuilder().withReplicas(1).withReadyReplicas(1).build());
        client.apps().statefulSets().inNamespace(ns).resource(s).updateStatus();
    }

    /**
     * Creates a quickstart cluster in {@code ns}, lets it settle, edits it into an invalid spec and asserts what that
     * must do: SpecValid=False (InvalidSpec) and a Warning Event naming {@code problem}, and no owned object changed.
     */
    private static PubSubCluster assertEditRefused(String ns, Consumer<PubSubCluster> edit, String problem) {
        create(ns, "quickstart.yaml", c -> { });
        awaitAllCreated(ns, "quickstart");
        await().atMost(TIMEOUT).until(() -> conditionIs(ns, "quickstart", "SpecValid", "True"));
        Map<String, String> before = resourceVersions(ns);

        PubSubCluster after = editAndAwaitObserved(ns, "quickstart", edit);

        Condition valid = condition(after, "SpecValid");
        assertThat(valid.getStatus()).isEqualTo("False");
        assertThat(valid.getReason()).isEqualTo("InvalidSpec");
        assertThat(valid.getMessage()).contains(problem);
        await().atMost(TIMEOUT).until(() -> !events(ns, "InvalidSpec").isEmpty());
        assertThat(events(ns, "InvalidSpec").get(0).getType()).isEqualTo("Warning");
        assertThat(events(ns, "InvalidSpec").get(0).getMessage()).contains(problem);
        assertThat(resourceVersions(ns)).isEqualTo(before);
        return after;
    }

    @Test
    void anInvalidSpecIsReportedAndTouchesNothing() {
        String ns = "t-invalid";
        PubSubCluster after = assertEditRefused(ns, c -> {
            c.getSpec().comet.replicas = 5;
            c.getSpec().auth = new AuthSpec();
            c.getSpec().auth.jwt = new AuthSpec.Jwt();
            c.getSpec().auth.jwt.secretRef = new SecretKeyRef("no-such-jwt", null);
        }, "spec.auth.jwt.secretRef: Secret 'no-such-jwt' does not exist");
        assertThat(after.getStatus().phase).isEqualTo("Invalid");
        assertThat(deployment(ns, "quickstart-comet").getSpec().getReplicas()).isEqualTo(1);
    }

    @Test
    void aConfigKeyTheBrokerRefusesIsNamedAndChangesNothingAndAGoodOneRollsItsRoleOnly() {
        String ns = "t-config-keys";
        assertEditRefused(ns, c -> {
            c.getSpec().config = Examples.config("mq: {maxInFlight: 512}");
            c.getSpec().comet.config = Examples.config("comet: {protocol: {sendQueueSize: 0}}");
        }, "spec.comet.config.comet.protocol.sendQueueSize: must be between 1 and 1048576, got 0");

        String logicHash = hash(deployment(ns, "quickstart-logic"));
        String cometHash = hash(deployment(ns, "quickstart-comet"));
        editAndAwaitObserved(ns, "quickstart", c -> c.getSpec().comet.config =
                Examples.config("comet: {protocol: {sendQueueSize: 4096}}"));
        await().atMost(TIMEOUT).until(() -> conditionIs(ns, "quickstart", "SpecValid", "True"));
        await().atMost(TIMEOUT).until(() -> !hash(deployment(ns, "quickstart-comet")).equals(cometHash));
        var data = client.configMaps().inNamespace(ns).withName("quickstart-config").get().getData();
        assertThat(data.get("comet.yaml")).contains("sendQueueSize: 4096").contains("maxInFlight: 512");
        assertThat(data.get("broker.yaml")).contains("maxInFlight: 512").doesNotContain("sendQueueSize");
        assertThat(deployment(ns, "quickstart-comet").getSpec().getTemplate().getSpec().getVolumes())
                .anyMatch(v -> v.getConfigMap() != null && v.getConfigMap().getItems().get(0).getKey().equals("comet.yaml"));
        // mq.maxInFlight (logic and job read it) rolled logic; comet's own keys did not
        assertThat(hash(deployment(ns, "quickstart-logic"))).isNotEqualTo(logicHash)
                .isEqualTo(BrokerConfigRenderer.render(cluster(ns, "quickstart").get()).hash(
                        dev.imcluster.operator.model.Role.LOGIC));
    }

    @Test
    void aReferencedInternalTokenIsCheckedAndMountedInEveryRoleInsteadOfAGeneratedOne() {
        String missing = "t-token-missing";
        create(missing, "quickstart.yaml", c -> {
            c.getSpec().auth = new AuthSpec();
            c.getSpec().auth.internalTokenSecretRef = new SecretKeyRef("no-such-token", null);
        });
        await().atMost(TIMEOUT).until(() -> conditionIs(missing, "quickstart", "SpecValid", "False"));
        assertThat(condition(cluster(missing, "quickstart").get(), "SpecValid").getMessage())
                .contains("spec.auth.internalTokenSecretRef: Secret 'no-such-token' does not exist");
        assertThat(deployment(missing, "quickstart-logic")).isNull();

        String ns = "t-token";
        client.secrets().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName("my-token").withNamespace(ns).endMetadata()
                .addToStringData("shared", "0123456789abcdef0123456789").build()).create();
        create(ns, "quickstart.yaml", c -> {
            c.getSpec().auth = new AuthSpec();
            c.getSpec().auth.internalTokenSecretRef = new SecretKeyRef("my-token", "shared");
        });
        for (String role : List.of("comet", "logic", "job")) {
            Deployment d = awaitDeployment(ns, "quickstart-" + role);
            assertThat(d.getSpec().getTemplate().getSpec().getVolumes()).as(role)
                    .anyMatch(v -> v.getSecret() != null && v.getSecret().getSecretName().equals("my-token"));
        }
        assertThat(client.configMaps().inNamespace(ns).withName("quickstart-config").get().getData().values())
                .anyMatch(yaml -> yaml.contains("internalTokenFile: /var/run/secrets/imcluster/internal/shared"));
        assertThat(client.secrets().inNamespace(ns).withName("quickstart-internal-token").get()).isNull();
    }

    @Test
    void kafkaWithoutBootstrapServersIsCaughtWhereCelIsNotEnforced() {
        String ns = "t-nocel";
        // The mock server, like Kubernetes 1.20, does not run the CRD's CEL rules.
        create(ns, "quickstart.yaml", c -> c.getSpec().mq.backend = MqSpec.Backend.kafka);
        await().atMost(TIMEOUT).until(() -> conditionIs(ns, "quickstart", "SpecValid", "False"));
        assertThat(condition(cluster(ns, "quickstart").get(), "SpecValid").getMessage())
                .contains("spec.mq.kafka.bootstrapServers is required when spec.mq.backend is kafka");
        assertThat(ownedObjects(ns)).isEmpty();
        await().atMost(TIMEOUT).until(() -> !events(ns, "InvalidSpec").isEmpty());
    }

    @Test
    void pausedStopsChangesAndSaysSo() {
        String ns = "t-paused";
        create(ns, "quickstart.yaml", c -> { });
        awaitAllCreated(ns, "quickstart");

        PubSubCluster paused = editAndAwaitObserved(ns, "quickstart", c -> {
            c.getSpec().paused = true;
            c.getSpec().comet.replicas = 3;
        });
        assertThat(condition(paused, "Paused").getStatus()).isEqualTo("True");
        assertThat(condition(paused, "Paused").getMessage()).contains("spec.paused");
        assertThat(paused.getStatus().phase).isEqualTo("Paused");
        assertThat(deployment(ns, "quickstart-comet").getSpec().getReplicas()).isEqualTo(1);

        // Unpausing applies the pending change.
        editAndAwaitObserved(ns, "quickstart", c -> c.getSpec().paused = null);
        await().atMost(TIMEOUT).until(() -> deployment(ns, "quickstart-comet").getSpec().getReplicas() == 3);
        assertThat(conditionIs(ns, "quickstart", "Paused", "False")).isTrue();

        // The annotation pauses too (it changes no generation, so wait for the condition itself).
        Edits.edit(cluster(ns, "quickstart"), c -> {
            c.getMetadata().getAnnotations().put(PubSubCluster.PAUSED_ANNOTATION, "true");
            return c;
        });
        await().atMost(TIMEOUT).until(() -> conditionIs(ns, "quickstart", "Paused", "True"));
        editAndAwaitObserved(ns, "quickstart", c -> c.getSpec().comet.replicas = 2);
        assertThat(deployment(ns, "quickstart-comet").getSpec().getReplicas()).isEqualTo(3);
        assertThat(events(ns, "Paused")).hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void pdbsArePolicyV1OnCurrentServers() {
        String ns = "t-pdb";
        create(ns, "quickstart.yaml", c -> { });
        await().atMost(TIMEOUT).until(() ->
                client.policy().v1().podDisruptionBudget().inNamespace(ns).list().getItems().size() == 3);
        PodDisruptionBudget pdb = client.policy().v1().podDisruptionBudget().inNamespace(ns)
                .withName("quickstart-logic").get();
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(Objects.requireNonNull(pdb.getSpec().getSelector().getMatchLabels()))
                .containsEntry("app.kubernetes.io/component", "logic");
    }
}
