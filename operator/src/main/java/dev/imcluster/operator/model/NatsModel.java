package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A managed NATS server with JetStream ({@code -js}): one-replica StatefulSet and Service. With spec.tls.internal
 * its client port serves TLS only, to clients with a certificate of the cluster's CA ({@code --tlsverify}).
 */
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
        return statefulSet(c, op, null);
    }

    /**
     * @param certificate the server certificate's Secret data (PEM by key) when the operator issues it: its hash
     *                    rolls the pod on a rotation (nats-server re-reads certificates only on a config reload,
     *                    which nothing outside its pod can signal)
     */
    public static StatefulSet statefulSet(PubSubCluster c, OperatorConfig op, Map<String, String> certificate) {
        boolean tls = ManagedBackend.withTls(c).contains(ManagedBackend.NATS);
        List<String> args = new ArrayList<>(List.of("-js", "-sd", "/data", "-p", String.valueOf(Ports.NATS),
                "-m", String.valueOf(Ports.NATS_MONITOR)));
        if (tls) { // the client port speaks TLS only and requires a client certificate; monitoring stays http
            args.addAll(List.of("--tlsverify",
                    "--tlscert", ManagedStatefulSet.tlsFile(InternalCertificates.TLS_CERT),
                    "--tlskey", ManagedStatefulSet.tlsFile(InternalCertificates.TLS_KEY),
                    "--tlscacert", ManagedStatefulSet.tlsFile(InternalCertificates.CA_CERT)));
        }
        ContainerBuilder nats = new ContainerBuilder()
                .withName("nats")
                .withImage(op.natsImage())
                .withArgs(args)
                .withPorts(DeploymentModel.port("client", Ports.NATS), DeploymentModel.port("monitor", Ports.NATS_MONITOR))
                .withNewReadinessProbe().withNewHttpGet().withPath("/healthz?js-enabled-only=true")
                    .withPort(new IntOrString("monitor")).endHttpGet().withPeriodSeconds(5).endReadinessProbe()
                // Over TLS a bare TCP connect on the client port is logged as a failed handshake: probe monitoring.
                .withLivenessProbe(ManagedStatefulSet.tcpLiveness(tls ? "monitor" : "client"));
        List<Volume> volumes = new ArrayList<>();
        if (tls) {
            nats.addToVolumeMounts(ManagedStatefulSet.tlsMount());
            volumes.add(ManagedStatefulSet.tlsVolume(c, ManagedBackend.NATS));
        }
        StatefulSet s = ManagedStatefulSet.of(c, Names.nats(c), "nats", UID, c.getSpec().mq.nats.storage,
                nats.build(), volumes, c.getSpec().mq.nats.podTemplate);
        return tls ? ManagedStatefulSet.withCertificateHash(s, certificate) : s;
    }
}
