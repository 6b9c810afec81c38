package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;

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
        return runs(c, SwapState.of(c.getStatus()));
    }

    /** {@link #runs(PubSubCluster)} for the swap state being rendered (null: none). */
    public static boolean runs(PubSubCluster c, SwapState swap) {
        return managed(c) && SwapState.uses(c, swap, MqSpec.Backend.nats);
    }

    public static StatefulSet statefulSet(PubSubCluster c, OperatorConfig op) {
        Container nats = new ContainerBuilder()
                .withName("nats")
                .withImage(op.natsImage())
                .withArgs("-js", "-sd", "/data", "-p", String.valueOf(Ports.NATS), "-m", String.valueOf(Ports.NATS_MONITOR))
                .withPorts(DeploymentModel.port("client", Ports.NATS), DeploymentModel.port("monitor", Ports.NATS_MONITOR))
                .withNewReadinessProbe().withNewHttpGet().withPath("/healthz?js-enabled-only=true")
                    .withPort(new IntOrString("monitor")).endHttpGet().withPeriodSeconds(5).endReadinessProbe()
                .withLivenessProbe(ManagedStatefulSet.tcpLiveness("client"))
                .build();
        return ManagedStatefulSet.of(c, Names.nats(c), "nats", UID, c.getSpec().mq.nats.storage, nats, List.of(),
                c.getSpec().mq.nats.podTemplate);
    }
}
