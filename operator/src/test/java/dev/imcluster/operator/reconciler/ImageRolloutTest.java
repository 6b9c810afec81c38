package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.model.Role;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ImageRolloutTest {

    /** A Deployment of {@code image} with {@code replicas} pods: rolled out, or with its new pods not ready yet. */
    private static Deployment deployment(String image, boolean rolledOut) {
        return new DeploymentBuilder().withNewMetadata().withName("x").withGeneration(2L).endMetadata()
                .withNewSpec().withReplicas(2).withNewTemplate().withNewSpec()
                .addNewContainer().withName("broker").withImage(image).endContainer().endSpec().endTemplate().endSpec()
                .withNewStatus().withObservedGeneration(2L).withReplicas(2).withUpdatedReplicas(2)
                .withReadyReplicas(rolledOut ? 2 : 1).endStatus().build();
    }

    private static Map<Role, Deployment> live(Deployment logic, Deployment comet, Deployment job) {
        Map<Role, Deployment> m = new EnumMap<>(Role.class);
        m.put(Role.LOGIC, logic);
        m.put(Role.COMET, comet);
        m.put(Role.JOB, job);
        return m;
    }

    @Test
    void aNewImageReachesLogicThenCometThenJob() {
        Map<Role, String> start = ImageRollout.images("b:2", live(deployment("b:1", true), deployment("b:1", true),
                deployment("b:1", true)));
        assertThat(start).containsEntry(Role.LOGIC, "b:2").containsEntry(Role.COMET, "b:1")
                .containsEntry(Role.JOB, "b:1");

        Map<Role, Deployment> logicRolling = live(deployment("b:2", false), deployment("b:1", true),
                deployment("b:1", true));
        assertThat(ImageRollout.images("b:2", logicRolling)).containsEntry(Role.COMET, "b:1")
                .containsEntry(Role.JOB, "b:1");
        assertThat(ImageRollout.waitingFor("b:2", logicRolling)).isEqualTo(Role.LOGIC);

        Map<Role, Deployment> logicDone = live(deployment("b:2", true), deployment("b:1", true),
                deployment("b:1", true));
        assertThat(ImageRollout.images("b:2", logicDone)).containsEntry(Role.COMET, "b:2")
                .containsEntry(Role.JOB, "b:1");

        Map<Role, Deployment> cometDone = live(deployment("b:2", true), deployment("b:2", true),
                deployment("b:1", true));
        assertThat(ImageRollout.images("b:2", cometDone)).containsEntry(Role.JOB, "b:2");
        assertThat(ImageRollout.waitingFor("b:2", live(deployment("b:2", true), deployment("b:2", true),
                deployment("b:2", true)))).isNull();
    }

    @Test
    void anImageThatNeverStartsStopsAtLogic() {
        Map<Role, Deployment> stuck = live(deployment("b:broken", false), deployment("b:1", true),
                deployment("b:1", true));
        assertThat(ImageRollout.images("b:broken", stuck)).containsEntry(Role.LOGIC, "b:broken")
                .containsEntry(Role.COMET, "b:1").containsEntry(Role.JOB, "b:1");
        // Set back: logic rolls back at once, and the others never moved.
        assertThat(ImageRollout.images("b:1", stuck)).containsEntry(Role.LOGIC, "b:1")
                .containsEntry(Role.COMET, "b:1").containsEntry(Role.JOB, "b:1");
    }

    @Test
    void rolesNotCreatedYetTakeTheWantedImageAtOnce() {
        assertThat(ImageRollout.images("b:2", live(null, null, null))).containsValues("b:2", "b:2", "b:2");
        assertThat(ImageRollout.images("b:2", live(deployment("b:2", false), null, null)))
                .containsEntry(Role.COMET, "b:2").containsEntry(Role.JOB, "b:2");
    }

    @Test
    void theVersionIsTheTagOrDigest() {
        assertThat(ImageRollout.version("imcluster/broker:0.2.0")).isEqualTo("0.2.0");
        assertThat(ImageRollout.version("registry.local:5000/imcluster/broker")).isEqualTo("latest");
        assertThat(ImageRollout.version("registry.local:5000/imcluster/broker:1.0")).isEqualTo("1.0");
        assertThat(ImageRollout.version("imcluster/broker@sha256:abc")).isEqualTo("sha256:abc");
        assertThat(ImageRollout.version(null)).isNull();
    }
}
