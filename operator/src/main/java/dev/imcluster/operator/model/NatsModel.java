package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;

import java.util.List;

/** A managed NATS server with JetStream ({@code -js}): one-replica StatefulSet and Service. */
public final class NatsModel {
    static final long UID = 1000;

    private NatsModel() {
    }

    /** True when spec.mq.nats.managed is set. */
    public static boolean managed(PubSubCluster c) {
        MqSpec mq = c.getSpec().mq;
        return mq != null && mq.nats != null && mq.nats.isManaged();
    }

    /**
     * Whether the operator runs its NATS now: managed, and nats is the backend or takes part in a backend swap that
     * is not Complete yet. So a swap away from nats removes the StatefulSet only once job has drained it.
     */
    public static boolean runs(PubSubCluster c) {
        if (!managed(c)) {
            return false;
        }
        MigrationState swap = MigrationState.of(c.getStatus());
        return BrokerConfigRenderer.specBackend(c) == MqSpec.Backend.nats
                || (swap != null && swap.involves(MqSpec.Backend.nats));
    }

    public static StatefulSet statefulSet(PubSubCluster c, OperatorConfig op) {
        String storage = c.getSpec().mq.nats.storage;
        List<Volume> volumes = storage == null
                ? List.of(new VolumeBuilder().withName("data").withNewEmptyDir().endEmptyDir().build())
                : List.of();
        return new StatefulSetBuilder()
                .withNewMetadata()
                    .withName(Names.nats(c))
                    .withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Labels.all(c, "nats"))
                .endMetadata()
                .withNewSpec()
                    .withReplicas(1)
                    .withServiceName(Names.nats(c))
                    .withNewSelector().withMatchLabels(Labels.selector(c, "nats")).endSelector()
                    .withVolumeClaimTemplates(storage == null ? List.of() : List.of(RedisModel.pvc(c, storage)))
                    .withNewTemplate()
                        .withNewMetadata().withLabels(Labels.all(c, "nats")).endMetadata()
                        .withNewSpec()
                            .withAutomountServiceAccountToken(false)
                            .withSecurityContext(PodSecurity.podSecurityContext(UID))
                            .addNewContainer()
                                .withName("nats")
                                .withImage(op.natsImage())
                                .withArgs("-js", "-sd", "/data", "-p", String.valueOf(Ports.NATS),
                                        "-m", String.valueOf(Ports.NATS_MONITOR))
                                .withPorts(DeploymentModel.port("client", Ports.NATS),
                                        DeploymentModel.port("monitor", Ports.NATS_MONITOR))
                                .withNewReadinessProbe().withNewHttpGet().withPath("/healthz?js-enabled-only=true")
                                    .withPort(new IntOrString("monitor")).endHttpGet().withPeriodSeconds(5)
                                    .endReadinessProbe()
                                .withNewLivenessProbe().withNewTcpSocket().withPort(new IntOrString("client"))
                                    .endTcpSocket().withPeriodSeconds(10).withFailureThreshold(6).endLivenessProbe()
                                .withSecurityContext(PodSecurity.containerSecurityContext())
                                .addNewVolumeMount().withName("data").withMountPath("/data").endVolumeMount()
                            .endContainer()
                            .withVolumes(volumes)
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
    }
}
