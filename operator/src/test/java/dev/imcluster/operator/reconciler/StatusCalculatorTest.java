package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import dev.imcluster.operator.model.Role;
import dev.imcluster.operator.testing.Examples;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class StatusCalculatorTest {
    static final String T0 = "2026-01-01T00:00:00Z";
    static final String T1 = "2026-01-01T00:05:00Z";

    private static Deployment deployment(int replicas, int ready, long generation, long observed) {
        return new DeploymentBuilder().withNewMetadata().withName("x").withGeneration(generation).endMetadata()
                .withNewSpec().withReplicas(replicas).endSpec()
                .withNewStatus().withReplicas(replicas).withReadyReplicas(ready).withUpdatedReplicas(replicas)
                .withObservedGeneration(observed).endStatus().build();
    }

    private static StatefulSet readySet() {
        return new StatefulSetBuilder().withNewStatus().withReadyReplicas(1).endStatus().build();
    }

    private static StatusCalculator.Observed observed(Deployment comet, Deployment logic, Deployment job) {
        Map<Role, Deployment> m = new EnumMap<>(Role.class);
        m.put(Role.COMET, comet);
        m.put(Role.LOGIC, logic);
        m.put(Role.JOB, job);
        return new StatusCalculator.Observed(m, Optional.of(readySet()), Optional.empty());
    }

    private static Condition cond(PubSubClusterStatus s, String type) {
        return s.conditions.stream().filter(c -> c.getType().equals(type)).findFirst().orElseThrow();
    }

    @Test
    void readyRequiresTheLatestGenerationObservedByTheDeploymentController() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        PubSubClusterStatus s = StatusCalculator.next(c, observed(deployment(1, 1, 2, 1), deployment(1, 1, 1, 1),
                deployment(1, 1, 1, 1)), StatusCalculator.Gate.open(), List.of(), T0);
        assertThat(cond(s, "Ready").getStatus()).isEqualTo("False");
        assertThat(cond(s, "Progressing").getStatus()).isEqualTo("True");
        assertThat(s.phase).isEqualTo("Pending");

        c.setStatus(s);
        PubSubClusterStatus ready = StatusCalculator.next(c, observed(deployment(1, 1, 2, 2), deployment(1, 1, 1, 1),
                deployment(1, 1, 1, 1)), StatusCalculator.Gate.open(), List.of(), T1);
        assertThat(cond(ready, "Ready").getStatus()).isEqualTo("True");
        assertThat(cond(ready, "Ready").getLastTransitionTime()).isEqualTo(T1);
        assertThat(cond(ready, "BackendReady").getStatus()).isEqualTo("True");
        assertThat(ready.phase).isEqualTo("Running");
        assertThat(cond(ready, "SpecValid").getLastTransitionTime()).as("unchanged condition keeps its time")
                .isEqualTo(T0);
    }

    /** A surge pod not ready yet beside the old pod it replaces, still ready: "1 updated, 1 ready" is no rollout done. */
    @Test
    void anOldPodStillServingIsNotARolloutDone() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        Deployment surging = new DeploymentBuilder(deployment(1, 1, 2, 2)).editStatus().withReplicas(2).endStatus()
                .build();
        PubSubClusterStatus s = StatusCalculator.next(c, observed(deployment(1, 1, 1, 1), surging,
                deployment(1, 1, 1, 1)), StatusCalculator.Gate.open(), List.of(), T0);
        assertThat(cond(s, "Ready").getStatus()).isEqualTo("False");
        assertThat(cond(s, "Ready").getMessage()).isEqualTo("logic 1/1 ready, 1 old pod left.");
        assertThat(cond(s, "BackendReady").getStatus()).as("logic, the backend's user, is rolling out").isEqualTo("True");
    }

    private static Deployment withImage(Deployment d, String image) {
        return new DeploymentBuilder(d).editSpec().withNewTemplate().withNewSpec()
                .addNewContainer().withName("broker").withImage(image).endContainer()
                .addNewContainer().withName("agent").withImage("example/agent:1").endContainer()
                .endSpec().endTemplate().endSpec().build();
    }

    /** status.<role>.image is what every pod runs: the template's once rolled out, the previous one meanwhile. */
    @Test
    void eachRoleReportsTheImageItsPodsRun() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        PubSubClusterStatus first = StatusCalculator.next(c, observed(withImage(deployment(2, 1, 1, 1), "b:1"),
                withImage(deployment(1, 1, 1, 1), "b:1"), null), StatusCalculator.Gate.open(), List.of(), T0);
        assertThat(first.comet.image).as("not rolled out yet: no image is known to run").isNull();
        assertThat(first.logic.image).isEqualTo("b:1");
        assertThat(first.job.image).isNull();

        c.setStatus(first);
        Deployment cometDone = withImage(deployment(2, 2, 1, 1), "b:1");
        Deployment logicRolling = withImage(deployment(1, 1, 2, 1), "b:2");
        PubSubClusterStatus rolling = StatusCalculator.next(c, observed(cometDone, logicRolling, null),
                StatusCalculator.Gate.open(), List.of(), T1);
        assertThat(rolling.comet.image).isEqualTo("b:1");
        assertThat(rolling.logic.image).as("the rollout to b:2 is not complete").isEqualTo("b:1");

        c.setStatus(rolling);
        Deployment surging = withImage(deployment(1, 1, 2, 2), "b:2");
        surging.getStatus().setReplicas(2); // an old pod is still there
        assertThat(StatusCalculator.next(c, observed(cometDone, surging, null), StatusCalculator.Gate.open(),
                List.of(), T1).logic.image).isEqualTo("b:1");
        PubSubClusterStatus done = StatusCalculator.next(c, observed(cometDone, withImage(deployment(1, 1, 2, 2),
                "b:2"), null), StatusCalculator.Gate.open(), List.of(), T1);
        assertThat(done.logic.image).isEqualTo("b:2");
    }

    /** While logic rolls to a new image, comet and job are held at theirs, and the status says so. */
    @Test
    void rolesHeldForANewImageAreNotReadyAndSayWhatTheyWaitFor() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        Deployment old = withImage(deployment(1, 1, 1, 1), "imcluster/broker:0.1.0");
        PubSubClusterStatus before = StatusCalculator.next(c, observed(old, old, old), StatusCalculator.Gate.open(),
                List.of(), T0);
        assertThat(cond(before, "Ready").getStatus()).isEqualTo("True");
        assertThat(before.comet.version).isEqualTo("0.1.0");

        c.setStatus(before);
        PubSubClusterStatus logicRolled = StatusCalculator.next(c, observed(old,
                withImage(deployment(1, 1, 2, 2), "imcluster/broker:0.2.0"), old), StatusCalculator.Gate.open(),
                List.of(), T1);
        assertThat(cond(logicRolled, "Ready").getStatus()).isEqualTo("False");
        assertThat(cond(logicRolled, "Progressing").getMessage())
                .contains("comet is next to run imcluster/broker:0.2.0")
                .contains("job waits for comet to run imcluster/broker:0.2.0");
        assertThat(logicRolled.logic.version).isEqualTo("0.2.0");
        assertThat(logicRolled.comet.version).isEqualTo("0.1.0");
    }

    @Test
    void aStuckRolloutIsDegraded() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        Deployment stuck = deployment(2, 1, 1, 1);
        stuck.getStatus().setConditions(List.of(new DeploymentConditionBuilder().withType("Progressing")
                .withStatus("False").withReason("ProgressDeadlineExceeded").withMessage("image pull").build()));
        PubSubClusterStatus s = StatusCalculator.next(c, observed(stuck, deployment(1, 1, 1, 1),
                deployment(1, 1, 1, 1)), StatusCalculator.Gate.open(), List.of(), T0);
        assertThat(cond(s, "Degraded").getStatus()).isEqualTo("True");
        assertThat(cond(s, "Degraded").getMessage()).contains("comet: ProgressDeadlineExceeded (image pull)");
        assertThat(s.phase).isEqualTo("Degraded");
        assertThat(s.comet.ready).isEqualTo("1/2");
    }

    private static Deployment withProgress(Deployment d, String reason) {
        d.getStatus().setConditions(List.of(new DeploymentConditionBuilder().withType("Progressing")
                .withStatus("True").withReason(reason).build()));
        return d;
    }

    /**
     * A comet cut from logic fails its readiness probe after its rollout completed: that is a fault (Degraded, with
     * the role and its count), not a rollout in progress, and it clears when the pod is ready again.
     */
    @Test
    void podsThatTurnUnreadyAfterTheirRolloutAreDegradedNotRollingOut() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        Deployment unready = withProgress(deployment(2, 1, 1, 1), "NewReplicaSetAvailable");
        PubSubClusterStatus s = StatusCalculator.next(c, observed(unready, deployment(1, 1, 1, 1),
                deployment(1, 1, 1, 1)), StatusCalculator.Gate.open(), List.of(), T0);
        assertThat(cond(s, "Ready").getStatus()).isEqualTo("False");
        assertThat(cond(s, "Ready").getMessage()).isEqualTo("comet 1/2 ready.");
        assertThat(cond(s, "Progressing").getStatus()).isEqualTo("False");
        assertThat(cond(s, "Progressing").getReason()).isEqualTo("Complete");
        assertThat(cond(s, "Degraded").getStatus()).isEqualTo("True");
        assertThat(cond(s, "Degraded").getReason()).isEqualTo("PodsNotReady");
        assertThat(cond(s, "Degraded").getMessage()).contains("after their rollout completed: comet 1/2 ready");
        assertThat(s.phase).isEqualTo("Degraded");

        c.setStatus(s);
        PubSubClusterStatus healed = StatusCalculator.next(c, observed(withProgress(deployment(2, 2, 1, 1),
                "NewReplicaSetAvailable"), deployment(1, 1, 1, 1), deployment(1, 1, 1, 1)),
                StatusCalculator.Gate.open(), List.of(), T1);
        assertThat(cond(healed, "Degraded").getStatus()).isEqualTo("False");
        assertThat(healed.phase).isEqualTo("Running");
    }

    /** New pods of a scale-up or a new template are a rollout in progress, not a fault. */
    @Test
    void podsNotReadyYetDuringARolloutArePendingNotDegraded() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        PubSubClusterStatus s = StatusCalculator.next(c, observed(withProgress(deployment(3, 2, 2, 2),
                "ReplicaSetUpdated"), deployment(1, 1, 1, 1), deployment(1, 1, 1, 1)), StatusCalculator.Gate.open(),
                List.of(), T0);
        assertThat(cond(s, "Progressing").getStatus()).isEqualTo("True");
        assertThat(cond(s, "Progressing").getMessage()).isEqualTo("Rolling out: comet 2/3 ready.");
        assertThat(cond(s, "Degraded").getStatus()).isEqualTo("False");
        assertThat(s.phase).isEqualTo("Pending");
    }

    @Test
    void invalidAndPausedAreReportedWithTheirCause() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        PubSubClusterStatus invalid = StatusCalculator.next(c, observed(null, null, null),
                new StatusCalculator.Gate(List.of("spec.x is wrong"), null), List.of(), T0);
        assertThat(cond(invalid, "SpecValid").getMessage()).startsWith("spec.x is wrong");
        assertThat(cond(invalid, "Progressing").getReason()).isEqualTo("InvalidSpec");
        assertThat(invalid.phase).isEqualTo("Invalid");
        assertThat(cond(invalid, "Ready").getMessage()).contains("comet not created");

        PubSubClusterStatus paused = StatusCalculator.next(c, observed(null, null, null),
                new StatusCalculator.Gate(List.of(), "spec.paused"), List.of("w"), T0);
        assertThat(cond(paused, "Paused").getStatus()).isEqualTo("True");
        assertThat(paused.phase).isEqualTo("Paused");
        assertThat(paused.warnings).containsExactly("w");
    }

    @Test
    void externalBackendsAreUnknownUntilTheirUsersAreReady() {
        PubSubCluster c = Examples.load("kafka.yaml");
        PubSubClusterStatus s = StatusCalculator.next(c, observed(deployment(2, 2, 1, 1), deployment(2, 0, 1, 1),
                deployment(2, 2, 1, 1)), StatusCalculator.Gate.open(), List.of(), T0);
        assertThat(cond(s, "BackendReady").getStatus()).isEqualTo("Unknown");
        assertThat(s.backend.active).isEqualTo("kafka");
        assertThat(cond(s, "Migrating").getStatus()).isEqualTo("False");
    }

    @Test
    void aManagedMosquittoIsWaitedForAndAnExternalMqttBrokerIsJudgedByItsUsers() {
        PubSubCluster managed = Examples.load("mqtt.yaml");
        Map<Role, Deployment> ready = new EnumMap<>(Role.class);
        for (Role role : Role.values()) {
            ready.put(role, deployment(2, 2, 1, 1));
        }
        PubSubClusterStatus waiting = StatusCalculator.next(managed, new StatusCalculator.Observed(ready,
                Optional.of(readySet()), Optional.empty(), null, Optional.empty()), StatusCalculator.Gate.open(),
                List.of(), T0);
        assertThat(cond(waiting, "BackendReady").getStatus()).isEqualTo("False");
        assertThat(cond(waiting, "BackendReady").getMessage()).contains("managed Mosquitto not ready");
        PubSubClusterStatus up = StatusCalculator.next(managed, new StatusCalculator.Observed(ready,
                Optional.of(readySet()), Optional.empty(), null, Optional.of(readySet())), StatusCalculator.Gate.open(),
                List.of(), T0);
        assertThat(cond(up, "BackendReady").getStatus()).isEqualTo("True");
        assertThat(cond(up, "BackendReady").getReason()).isEqualTo("ManagedBackendReady");
        assertThat(up.backend.active).isEqualTo("mqtt");

        PubSubCluster external = Examples.copy(managed);
        external.getSpec().mq.mqtt.managed = null;
        external.getSpec().mq.mqtt.storage = null;
        external.getSpec().mq.mqtt.url = "tcp://mqtt:1883";
        PubSubClusterStatus s = StatusCalculator.next(external, observed(deployment(2, 2, 1, 1),
                deployment(2, 0, 1, 1), deployment(2, 2, 1, 1)), StatusCalculator.Gate.open(), List.of(), T0);
        assertThat(cond(s, "BackendReady").getStatus()).isEqualTo("Unknown");
    }

    @Test
    void theSwapStepDecidesTheBackendStatusAndTheMigratingCondition() {
        PubSubCluster c = Examples.load("kafka.yaml");
        PubSubClusterStatus before = new PubSubClusterStatus();
        before.backend = new PubSubClusterStatus.BackendStatus();
        before.backend.active = "redis";
        c.setStatus(before);
        BackendSwap.Step step = BackendSwap.advance(c, java.util.Map.of(), (st, h) -> null, T0);
        PubSubClusterStatus s = StatusCalculator.next(c, observed(deployment(2, 2, 1, 1), deployment(2, 2, 1, 1),
                deployment(2, 2, 1, 1)), StatusCalculator.Gate.open(), List.of(), T0, step);
        assertThat(s.backend.active).isEqualTo("redis"); // logic still publishes to redis in DualConsume
        assertThat(s.backend.previous).isEqualTo("redis");
        assertThat(s.backend.migration.phase).isEqualTo("DualConsume");
        assertThat(s.backend.migration.startedAt).isEqualTo(T0);
        assertThat(cond(s, "Migrating").getStatus()).isEqualTo("True");
        assertThat(cond(s, "Migrating").getReason()).isEqualTo("DualConsume");
    }

    @Test
    void withInternalTlsAnExternalBackendWithoutTlsIsAWarning() {
        PubSubCluster production = Examples.load("production.yaml"); // internal TLS, external Redis without TLS
        assertThat(production.getSpec().tls.internalEnabled()).isTrue();
        assertThat(StatusCalculator.externalBackendsInPlaintext(production)).singleElement().asString()
                .contains("external Redis is reached without TLS", "spec.redis.external.tls");
        production.getSpec().redis.external.tls = true;
        assertThat(StatusCalculator.externalBackendsInPlaintext(production)).isEmpty();

        PubSubCluster nats = Examples.load("nats.yaml");
        nats.getSpec().tls = production.getSpec().tls;
        assertThat(StatusCalculator.externalBackendsInPlaintext(nats)).as("managed: covered").isEmpty();
        nats.getSpec().mq.nats.managed = null;
        nats.getSpec().mq.nats.url = "nats://nats.shared:4222";
        assertThat(StatusCalculator.externalBackendsInPlaintext(nats)).singleElement().asString()
                .contains("external NATS is reached without TLS");
        nats.getSpec().mq.nats.url = "tls://nats.shared:4222";
        assertThat(StatusCalculator.externalBackendsInPlaintext(nats)).isEmpty();
        nats.getSpec().tls = null;
        nats.getSpec().mq.nats.url = "nats://nats.shared:4222";
        assertThat(StatusCalculator.externalBackendsInPlaintext(nats)).as("no internal TLS, nothing to say").isEmpty();

        PubSubCluster mqtt = Examples.load("mqtt.yaml");
        mqtt.getSpec().tls = production.getSpec().tls;
        assertThat(StatusCalculator.externalBackendsInPlaintext(mqtt)).as("managed: covered").isEmpty();
        mqtt.getSpec().mq.mqtt.managed = null;
        mqtt.getSpec().mq.mqtt.url = "tcp://mosquitto.shared:1883";
        assertThat(StatusCalculator.externalBackendsInPlaintext(mqtt)).singleElement().asString()
                .contains("external MQTT broker is reached without TLS", "ssl://");
        mqtt.getSpec().mq.mqtt.url = "ssl://mosquitto.shared:8883";
        assertThat(StatusCalculator.externalBackendsInPlaintext(mqtt)).isEmpty();

        // production's Kafka is reached over TLS (SASL_SSL): no warning for it above.
        assertThat(production.getSpec().mq.kafka.tls).isTrue();
        production.getSpec().mq.kafka.tls = false;
        assertThat(StatusCalculator.externalBackendsInPlaintext(production)).singleElement().asString()
                .contains("Kafka is reached without TLS", "spec.mq.kafka.tls");
    }
}
