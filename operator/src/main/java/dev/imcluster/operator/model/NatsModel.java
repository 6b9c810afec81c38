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
 * A managed NATS server with JetStream ({@code -js}): a StatefulSet and Service. With spec.mq.nats.replicas 3 or 5
 * the servers form a JetStream cluster: each is named after its pod and routes to the others by their DNS names in
 * the headless {@link Names#natsCluster} Service (the StatefulSet's governing Service), and the roles keep the stream
 * on 3 of them
 * ({@link MqSpec.NatsSpec#CLUSTER_STREAM_REPLICAS}). With spec.tls.internal the client port serves TLS only, to
 * clients with a certificate of the cluster's CA ({@code --tlsverify}); the routes stay plaintext (nats-server sets
 * route TLS only in a config file), and the NetworkPolicy admits only the NATS servers there.
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

    /** How many servers the managed NATS runs (spec.mq.nats.replicas, 1 unless set). */
    public static int replicas(PubSubCluster c) {
        MqSpec mq = c.getSpec().mq;
        return mq == null || mq.nats == null ? 1 : mq.nats.replicasOrDefault();
    }

    /**
     * A route to every server by its own DNS name ({@code <pod>.<cluster>-nats-cluster}): a server skips the one to
     * itself. One name for all of them would not do: nats-server would dial whichever address came first, itself
     * included, and drop a route to itself for good.
     */
    static String routes(PubSubCluster c, int replicas) {
        List<String> routes = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            routes.add("nats://" + Names.nats(c) + "-" + i + "." + Names.natsCluster(c) + "."
                    + c.getMetadata().getNamespace() + ".svc:" + Ports.NATS_CLUSTER);
        }
        return String.join(",", routes);
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
        int replicas = replicas(c);
        if (replicas > 1) { // $(VAR): expanded from the container's env by the kubelet
            args.addAll(List.of("--name", "$(POD_NAME)", "--cluster_name", Names.nats(c),
                    "--cluster", "nats://$(POD_IP):" + Ports.NATS_CLUSTER, "--routes", routes(c, replicas)));
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
        if (replicas > 1) {
            nats.addToPorts(DeploymentModel.port("cluster", Ports.NATS_CLUSTER))
                    .addNewEnv().withName("POD_NAME").withNewValueFrom().withNewFieldRef()
                        .withFieldPath("metadata.name").endFieldRef().endValueFrom().endEnv()
                    .addNewEnv().withName("POD_IP").withNewValueFrom().withNewFieldRef()
                        .withFieldPath("status.podIP").endFieldRef().endValueFrom().endEnv();
        }
        List<Volume> volumes = new ArrayList<>();
        if (tls) {
            nats.addToVolumeMounts(ManagedStatefulSet.tlsMount());
            volumes.add(ManagedStatefulSet.tlsVolume(c, ManagedBackend.NATS));
        }
        StatefulSet s = ManagedStatefulSet.of(c, Names.nats(c), "nats", UID, c.getSpec().mq.nats.storage,
                nats.build(), volumes, c.getSpec().mq.nats.podTemplate);
        s.getSpec().setReplicas(replicas); // rolled one server at a time, the highest ordinal first
        if (replicas > 1) { // the headless Service gives each server the DNS name its peers route to
            s.getSpec().setServiceName(Names.natsCluster(c));
        }
        return tls ? ManagedStatefulSet.withCertificateHash(s, certificate) : s;
    }

    /** Whether the live StatefulSet must be replaced to get {@code desired}: its serviceName cannot change. */
    public static boolean mustRecreate(StatefulSet actual, StatefulSet desired) {
        return actual != null && actual.getSpec() != null && desired.getSpec() != null
                && !java.util.Objects.equals(actual.getSpec().getServiceName(), desired.getSpec().getServiceName());
    }

    /**
     * Why spec.mq.nats.replicas may not go below what the running NATS has, if it does: the JetStream meta group
     * keeps every server it ever had as a peer, so the ones removed would stay counted in its quorum (two of five
     * gone and one more loss stops JetStream), and a cluster of one would restart as a standalone server beside
     * the R3 stream's clustered state. Empty when the running StatefulSet has no more replicas than the spec asks.
     */
    public static java.util.Optional<String> shrinkProblem(PubSubCluster c, StatefulSet live) {
        if (!managed(c) || live == null || live.getSpec() == null || live.getSpec().getReplicas() == null
                || live.getSpec().getReplicas() <= replicas(c)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("spec.mq.nats.replicas cannot go from " + live.getSpec().getReplicas() + " to "
                + replicas(c) + ": a JetStream cluster does not shrink in place (its meta group keeps the removed "
                + "servers as peers, so they would stay counted in its quorum); set it back to "
                + live.getSpec().getReplicas());
    }
}
