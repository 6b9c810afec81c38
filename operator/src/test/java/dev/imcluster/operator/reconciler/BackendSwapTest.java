package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import dev.imcluster.operator.model.BrokerConfigRenderer;
import dev.imcluster.operator.model.SwapState;
import dev.imcluster.operator.model.Role;
import dev.imcluster.operator.testing.Examples;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The swap state machine on its own: phases, what each waits for, edits during a swap, and idempotence. */
class BackendSwapTest {

    private final PubSubCluster c = Examples.load("quickstart.yaml");
    private final Map<Role, Deployment> live = new EnumMap<>(Role.class);
    private DrainProbe.Report drain = new DrainProbe.Report(false, "lag 7 on redis");
    private final AtomicInteger probes = new AtomicInteger();

    BackendSwapTest() {
        c.getSpec().mq.kafka = new MqSpec.KafkaSpec();
        c.getSpec().mq.kafka.bootstrapServers = "kafka:9092";
        c.getSpec().mq.nats = new MqSpec.NatsSpec();
        c.getSpec().mq.nats.url = "nats://nats:4222";
        c.setStatus(new PubSubClusterStatus());
        c.getStatus().backend = new PubSubClusterStatus.BackendStatus();
        c.getStatus().backend.active = "redis";
    }

    /** One reconciliation: advance, persist in status (as the reconciler does), "apply" nothing. */
    private BackendSwap.Step reconcile(String now) {
        BackendSwap.Step step = BackendSwap.advance(c, live, (state, hash) -> {
            probes.incrementAndGet();
            return drain;
        }, now);
        if (c.getStatus() == null) {
            c.setStatus(new PubSubClusterStatus());
        }
        c.getStatus().backend = step.backend();
        return step;
    }

    /** The role's Deployment finished rolling out what the current step renders. */
    private void rollOut(Role role) {
        String hash = BrokerConfigRenderer.render(c, SwapState.of(c.getStatus())).hash(role);
        live.put(role, new DeploymentBuilder().withNewMetadata().withGeneration(2L).endMetadata()
                .withNewSpec().withReplicas(2).withNewTemplate().withNewMetadata()
                .addToAnnotations(BrokerConfigRenderer.CONFIG_HASH_ANNOTATION, hash).endMetadata().endTemplate()
                .endSpec().withNewStatus().withReplicas(2).withUpdatedReplicas(2).withReadyReplicas(2)
                .withObservedGeneration(2L).endStatus().build());
    }

    private String phase() {
        return c.getStatus().backend.migration == null ? null : c.getStatus().backend.migration.phase;
    }

    @Test
    void aSwapWalksEveryPhaseAndWaitsForEachRolloutAndTheDrain() {
        rollOut(Role.JOB);
        rollOut(Role.LOGIC);
        assertThat(reconcile("t0").inProgress()).isFalse();

        c.getSpec().mq.backend = MqSpec.Backend.kafka;
        BackendSwap.Step s = reconcile("t1");
        assertThat(phase()).isEqualTo("DualConsume");
        assertThat(s.events()).extracting(BackendSwap.Event::reason)
                .containsExactly("BackendChanged", "MigrationDualConsume");
        assertThat(c.getStatus().backend.active).isEqualTo("redis");
        assertThat(c.getStatus().backend.previous).isEqualTo("redis");
        assertThat(c.getStatus().backend.migration.startedAt).isEqualTo("t1");

        // job still runs the old template: stay, and say what is awaited and how to cancel
        s = reconcile("t2");
        assertThat(phase()).isEqualTo("DualConsume");
        assertThat(s.message()).contains("waiting for job to roll out consuming kafka and redis")
                .contains("set spec.mq.backend back to redis to cancel");
        assertThat(s.events()).isEmpty();

        rollOut(Role.JOB);
        s = reconcile("t3");
        assertThat(phase()).isEqualTo("SwitchPublish");
        assertThat(c.getStatus().backend.active).isEqualTo("kafka");
        assertThat(c.getStatus().backend.migration.phaseStartedAt).isEqualTo("t3");
        assertThat(c.getStatus().backend.migration.startedAt).isEqualTo("t1");

        assertThat(reconcile("t4").message()).contains("waiting for logic to roll out publishing to kafka");
        rollOut(Role.LOGIC);
        reconcile("t5");
        assertThat(phase()).isEqualTo("Drain");
        assertThat(probes).hasValue(0); // the drain is only asked in Drain, after logic rolled out

        s = reconcile("t6");
        assertThat(phase()).isEqualTo("Drain");
        assertThat(s.pollSoon()).isTrue();
        assertThat(s.message()).contains("lag 7 on redis");

        drain = new DrainProbe.Report(true, "job pods [j1] report lag 0");
        reconcile("t7");
        assertThat(phase()).isEqualTo("Finalize");
        assertThat(reconcile("t8").message()).contains("waiting for job to roll out consuming kafka only");

        rollOut(Role.JOB);
        s = reconcile("t9");
        assertThat(phase()).isEqualTo("Complete");
        assertThat(s.inProgress()).isFalse();
        assertThat(s.events()).extracting(BackendSwap.Event::reason).containsExactly("MigrationComplete");
        assertThat(c.getStatus().backend.active).isEqualTo("kafka");
        assertThat(c.getStatus().backend.previous).isEqualTo("redis");
        assertThat(c.getStatus().backend.migration.completedAt).isEqualTo("t9");

        // settled: nothing moves, nothing is announced again
        s = reconcile("t10");
        assertThat(s.events()).isEmpty();
        assertThat(phase()).isEqualTo("Complete");
    }

    @Test
    void revertingMidSwapReversesItAndStillDrainsTheBackendLogicUsedMeanwhile() {
        rollOut(Role.JOB);
        rollOut(Role.LOGIC);
        reconcile("t0");
        c.getSpec().mq.backend = MqSpec.Backend.kafka;
        reconcile("t1");
        rollOut(Role.JOB);
        reconcile("t2");
        assertThat(phase()).isEqualTo("SwitchPublish"); // some logic pods may already publish to kafka

        c.getSpec().mq.backend = MqSpec.Backend.redis;
        BackendSwap.Step s = reconcile("t3");
        assertThat(s.events()).extracting(BackendSwap.Event::reason).containsExactly("MigrationReverted");
        assertThat(c.getStatus().backend.migration.from).isEqualTo("kafka");
        assertThat(c.getStatus().backend.migration.to).isEqualTo("redis");
        assertThat(phase()).isEqualTo("SwitchPublish");
        SwapState state = SwapState.of(c.getStatus());
        assertThat(state.logicBackend()).isEqualTo(MqSpec.Backend.redis);
        assertThat(state.jobPrevious()).isEqualTo(MqSpec.Backend.kafka); // job keeps consuming both

        rollOut(Role.JOB);
        rollOut(Role.LOGIC);
        reconcile("t4");
        assertThat(phase()).isEqualTo("Drain");
        drain = new DrainProbe.Report(true, "ok");
        reconcile("t5");
        rollOut(Role.JOB);
        reconcile("t6");
        assertThat(phase()).isEqualTo("Complete");
        assertThat(c.getStatus().backend.active).isEqualTo("redis");
        assertThat(c.getStatus().backend.previous).isEqualTo("kafka");
    }

    @Test
    void revertingDuringDualConsumeCancelsWithoutDrainingTheBackendLogicNeverUsed() {
        rollOut(Role.JOB);
        rollOut(Role.LOGIC);
        reconcile("t0");
        c.getSpec().mq.backend = MqSpec.Backend.kafka; // say, unreachable: job's new pods never become ready
        reconcile("t1");
        assertThat(phase()).isEqualTo("DualConsume");

        c.getSpec().mq.backend = MqSpec.Backend.redis;
        BackendSwap.Step s = reconcile("t2");
        assertThat(s.events()).extracting(BackendSwap.Event::reason).containsExactly("MigrationReverted");
        assertThat(s.events().get(0).message()).contains("logic never published to kafka");
        assertThat(s.inProgress()).isFalse();
        assertThat(s.state()).isNull(); // job renders redis alone again
        assertThat(phase()).isEqualTo("Cancelled");
        assertThat(c.getStatus().backend.active).isEqualTo("redis");
        assertThat(c.getStatus().backend.migration.completedAt).isEqualTo("t2");
        assertThat(probes).hasValue(0);
        assertThat(reconcile("t3").events()).isEmpty();
        assertThat(phase()).isEqualTo("Cancelled");
    }

    @Test
    void aRevertDuringDualConsumeStillDrainsWhenALogicPodMayHavePublishedToTheNewBackend() {
        rollOut(Role.JOB);
        rollOut(Role.LOGIC);
        reconcile("t0");
        c.getSpec().mq.backend = MqSpec.Backend.kafka;
        reconcile("t1");
        // logic's template is not DualConsume's (a SwitchPublish rendering whose status update was lost)
        live.get(Role.LOGIC).getSpec().getTemplate().getMetadata().getAnnotations()
                .put(BrokerConfigRenderer.CONFIG_HASH_ANNOTATION, "another");

        c.getSpec().mq.backend = MqSpec.Backend.redis;
        reconcile("t2");
        assertThat(phase()).isEqualTo("SwitchPublish");
        assertThat(c.getStatus().backend.migration.from).isEqualTo("kafka");
        assertThat(c.getStatus().backend.migration.to).isEqualTo("redis");
    }

    @Test
    void aThirdBackendRetargetsDuringDualConsumeAndWaitsLater() {
        rollOut(Role.JOB);
        rollOut(Role.LOGIC);
        reconcile("t0");
        c.getSpec().mq.backend = MqSpec.Backend.kafka;
        reconcile("t1");

        // DualConsume: logic never published to kafka, so the swap can go to nats instead
        c.getSpec().mq.backend = MqSpec.Backend.nats;
        BackendSwap.Step s = reconcile("t2");
        assertThat(s.events()).extracting(BackendSwap.Event::reason).containsExactly("MigrationRetargeted");
        assertThat(c.getStatus().backend.migration.from).isEqualTo("redis");
        assertThat(c.getStatus().backend.migration.to).isEqualTo("nats");
        assertThat(phase()).isEqualTo("DualConsume");

        rollOut(Role.JOB);
        reconcile("t3");
        rollOut(Role.LOGIC);
        reconcile("t4");
        assertThat(phase()).isEqualTo("Drain");

        // Drain: logic publishes to nats and redis is not drained yet; kafka waits for this swap to finish
        c.getSpec().mq.backend = MqSpec.Backend.kafka;
        s = reconcile("t5");
        assertThat(phase()).isEqualTo("Drain");
        assertThat(c.getStatus().backend.migration.to).isEqualTo("nats");
        assertThat(s.message()).contains("spec.mq.backend is now kafka: the backend swap to nats finishes first");
        drain = new DrainProbe.Report(true, "ok");
        reconcile("t6");
        rollOut(Role.JOB);
        reconcile("t7");
        assertThat(phase()).isEqualTo("Complete");
        assertThat(c.getStatus().backend.active).isEqualTo("nats");

        s = reconcile("t8");
        assertThat(phase()).isEqualTo("DualConsume");
        assertThat(c.getStatus().backend.migration.from).isEqualTo("nats");
        assertThat(c.getStatus().backend.migration.to).isEqualTo("kafka");
    }

    @Test
    void aNewClusterStartsSettledOnItsBackend() {
        c.setStatus(null);
        BackendSwap.Step s = reconcile("t0");
        assertThat(s.inProgress()).isFalse();
        assertThat(s.backend().active).isEqualTo("redis");
        assertThat(s.state()).isNull();
    }
}
