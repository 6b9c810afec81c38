package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus.RoleStatus;
import dev.imcluster.operator.api.v1alpha1.MetricsSpec;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.model.PodOverrides;
import dev.imcluster.operator.model.EndpointsModel;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.MqttModel;
import dev.imcluster.operator.model.NatsModel;
import dev.imcluster.operator.model.RedisModel;
import dev.imcluster.operator.model.Role;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.reconciler.Context;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.imcluster.operator.reconciler.ConditionTypes.*;

/**
 * Computes the next status from what the informers see. Pure (time is passed in), so it is tested directly, and
 * it reports what is, not what was asked: replicas come from the live Deployments.
 */
final class StatusCalculator {

    /** The live objects status is derived from. */
    record Observed(Map<Role, Deployment> deployments, Optional<StatefulSet> redis, Optional<StatefulSet> nats,
                    String cometExternalHost, Optional<StatefulSet> mqtt) {
        Observed(Map<Role, Deployment> deployments, Optional<StatefulSet> redis, Optional<StatefulSet> nats) {
            this(deployments, redis, nats, null);
        }

        Observed(Map<Role, Deployment> deployments, Optional<StatefulSet> redis, Optional<StatefulSet> nats,
                 String cometExternalHost) {
            this(deployments, redis, nats, cometExternalHost, Optional.empty());
        }

        /** What the reconciler's informers hold for this cluster. */
        static Observed from(PubSubCluster c, Context<PubSubCluster> context) {
            Map<String, Deployment> byName = new HashMap<>();
            context.getSecondaryResources(Deployment.class).forEach(d -> byName.put(d.getMetadata().getName(), d));
            Map<Role, Deployment> deployments = new EnumMap<>(Role.class);
            for (Role role : Role.values()) {
                Deployment d = byName.get(Names.role(c, role));
                if (d != null) {
                    deployments.put(role, d);
                }
            }
            Map<String, StatefulSet> sets = new HashMap<>();
            context.getSecondaryResources(StatefulSet.class).forEach(s -> sets.put(s.getMetadata().getName(), s));
            Service cometService = context.getSecondaryResources(Service.class).stream()
                    .filter(s -> Names.role(c, Role.COMET).equals(s.getMetadata().getName())).findFirst().orElse(null);
            return new Observed(deployments, Optional.ofNullable(sets.get(Names.redis(c))),
                    Optional.ofNullable(sets.get(Names.nats(c))), EndpointsModel.loadBalancerHost(cometService),
                    Optional.ofNullable(sets.get(Names.mqtt(c))));
        }
    }

    /** Why owned objects were not reconciled this time, if they were not. */
    record Gate(List<String> specProblems, String pausedBy) {
        static Gate open() {
            return new Gate(List.of(), null);
        }

        /** Nothing stops the reconciliation of owned objects. */
        boolean isOpen() {
            return specProblems.isEmpty() && pausedBy == null;
        }
    }

    /** status.warnings: what this API server lacks that the spec would use. */
    static List<String> warnings(PubSubCluster c, ApiCapabilities caps) {
        List<String> w = new ArrayList<>();
        if (!caps.policyV1()) {
            w.add("policy/v1 is not served by this API server (Kubernetes before 1.21): the PodDisruptionBudgets use "
                    + "policy/v1beta1.");
        }
        if (c.getSpec().metrics != null && c.getSpec().metrics.serviceMonitor == MetricsSpec.ServiceMonitorMode.enabled
                && !caps.serviceMonitorCrd()) {
            w.add("spec.metrics.serviceMonitor is enabled but the monitoring.coreos.com/v1 ServiceMonitor CRD is not "
                    + "installed; the pods carry prometheus.io annotations instead.");
        }
        if (dev.imcluster.operator.model.CertManagerModel.wanted(c) && !caps.certManagerCrd()) {
            w.add("spec.tls.internal.issuerRef names a cert-manager issuer but the cert-manager.io/v1 Certificate CRD "
                    + "is not installed: no internal certificates are issued and the pods wait for their Secrets.");
        }
        w.addAll(externalBackendsInPlaintext(c));
        w.addAll(PodOverrides.restrictedWarnings(c));
        return w;
    }

    /**
     * With internal TLS, the backends it does not cover: the operator configures TLS on its managed Redis, NATS and
     * Mosquitto only; an external one (and Kafka, always external) is reached as its spec says, which the user may
     * not expect.
     */
    static List<String> externalBackendsInPlaintext(PubSubCluster c) {
        List<String> w = new ArrayList<>();
        if (c.getSpec().tls == null || !c.getSpec().tls.internalEnabled()) {
            return w;
        }
        var redis = c.getSpec().redis;
        if (redis != null && redis.external != null && !Boolean.TRUE.equals(redis.external.tls)
                && (redis.external.address == null || !redis.external.address.startsWith("rediss://"))) {
            w.add(INTERNAL_TLS_COVERS + "the external Redis is reached without TLS (set spec.redis.external.tls if it "
                    + "serves TLS with a certificate of the cluster's CA).");
        }
        var mq = c.getSpec().mq;
        MqSpec.Backend backend = dev.imcluster.operator.model.BrokerConfigRenderer.specBackend(c);
        if (mq != null && backend == MqSpec.Backend.nats && mq.nats != null && !mq.nats.isManaged()) {
            externalUrlInPlaintext(w, "NATS", mq.nats.url, "tls://");
        }
        if (mq != null && backend == MqSpec.Backend.mqtt && mq.mqtt != null && !mq.mqtt.isManaged()) {
            externalUrlInPlaintext(w, "MQTT broker", mq.mqtt.url, "ssl://");
        }
        if (mq != null && backend == MqSpec.Backend.kafka && mq.kafka != null && !Boolean.TRUE.equals(mq.kafka.tls)) {
            w.add(INTERNAL_TLS_COVERS + "Kafka is reached without TLS (set spec.mq.kafka.tls if it serves TLS).");
        }
        return w;
    }

    private static final String INTERNAL_TLS_COVERS =
            "spec.tls.internal covers the managed Redis, NATS and Mosquitto only: ";

    private static void externalUrlInPlaintext(List<String> w, String backend, String url, String tlsScheme) {
        if (url != null && !url.startsWith(tlsScheme)) {
            w.add(INTERNAL_TLS_COVERS + "the external " + backend + " is reached without TLS (use a " + tlsScheme
                    + " URL if it serves TLS with a certificate of the cluster's CA).");
        }
    }

    private StatusCalculator() {
    }

    static PubSubClusterStatus next(PubSubCluster c, Observed observed, Gate gate, List<String> warnings, String now) {
        return next(c, observed, gate, warnings, now, BackendSwap.hold(c));
    }

    /** {@code swap}: status.backend and the Migrating condition, from {@link BackendSwap}. */
    static PubSubClusterStatus next(PubSubCluster c, Observed observed, Gate gate, List<String> warnings, String now,
                                    BackendSwap.Step swap) {
        PubSubClusterStatus old = c.getStatus() == null ? new PubSubClusterStatus() : c.getStatus();
        long generation = c.getMetadata().getGeneration() == null ? 0 : c.getMetadata().getGeneration();
        ConditionSet cs = new ConditionSet(old.conditions, generation, now);
        PubSubClusterStatus s = new PubSubClusterStatus();
        s.observedGeneration = generation;

        Map<Role, RoleStatus> roles = new EnumMap<>(Role.class);
        List<String> notReady = new ArrayList<>();
        List<String> rollingOut = new ArrayList<>();
        List<String> unready = new ArrayList<>(); // rolled out, then pods turned unready
        for (Role role : Role.values()) {
            Deployment d = observed.deployments().get(role);
            RoleStatus rs = Rollouts.roleStatus(d);
            rs.image = runningImage(d, role, old);
            rs.version = ImageRollout.version(rs.image);
            roles.put(role, rs);
            if (!Rollouts.rolledOut(d)) {
                String what = role.id() + " " + (d == null ? "not created" : rs.ready + " ready"
                        + Rollouts.oldPodsLeft(d));
                notReady.add(what);
                (Rollouts.unreadyAfterRollout(d) ? unready : rollingOut).add(what);
            }
        }
        // A new broker image reaches logic first: the roles after it are held at their image until it runs it.
        String newest = ImageRollout.image(observed.deployments().get(ImageRollout.ORDER.get(0)));
        Role blocker = newest == null ? null : ImageRollout.waitingFor(newest, observed.deployments());
        for (Role role : ImageRollout.ORDER) {
            String image = ImageRollout.image(observed.deployments().get(role));
            if (blocker != null && image != null && !image.equals(newest)
                    && Rollouts.rolledOut(observed.deployments().get(role))
                    && ImageRollout.ORDER.indexOf(role) >= ImageRollout.ORDER.indexOf(blocker)) {
                String what = role == blocker ? role.id() + " is next to run " + newest
                        : role.id() + " waits for " + blocker.id() + " to run " + newest;
                notReady.add(what);
                rollingOut.add(what);
            }
        }
        boolean allReady = notReady.isEmpty();
        s.comet = roles.get(Role.COMET);
        s.logic = roles.get(Role.LOGIC);
        s.job = roles.get(Role.JOB);

        boolean specValid = gate.specProblems().isEmpty();
        cs.set(SPEC_VALID, specValid, specValid ? "Valid" : "InvalidSpec",
                specValid ? "The spec is valid." : String.join("; ", gate.specProblems())
                        + ". Owned objects are left as they were until this is fixed.");
        boolean paused = gate.pausedBy() != null;
        cs.set(PAUSED, paused, paused ? "Paused" : "NotPaused", paused
                ? "Paused by " + gate.pausedBy() + ": owned objects are not changed; status is still observed."
                : "Owned objects are reconciled.");

        cs.set(READY, allReady, allReady ? "AllRolesReady" : "RolesNotReady",
                allReady ? "comet, logic and job are fully rolled out and ready." : String.join(", ", notReady) + ".");

        if (!specValid) {
            cs.set(PROGRESSING, false, "InvalidSpec", "Waiting for a valid spec.");
        } else if (paused) {
            cs.set(PROGRESSING, false, "Paused", "Reconciliation is paused.");
        } else if (rollingOut.isEmpty()) {
            cs.set(PROGRESSING, false, "Complete", "Every role runs the desired spec"
                    + (allReady ? "." : "; some pods are not ready (see Degraded)."));
        } else {
            cs.set(PROGRESSING, true, "RollingOut", "Rolling out: " + String.join(", ", rollingOut) + ".");
        }

        List<String> failures = failures(observed);
        String unreadyMessage = unready.isEmpty() ? "" : "Pods turned unready after their rollout completed: "
                + String.join(", ", unready) + ". An unready comet takes no new clients and its connected clients "
                + "keep receiving; a pod's /readyz names the dependency it cannot reach.";
        if (!failures.isEmpty()) {
            cs.set(DEGRADED, true, "RolloutFailing", String.join("; ", failures)
                    + (unready.isEmpty() ? "" : ". " + unreadyMessage));
        } else if (!unready.isEmpty()) {
            cs.set(DEGRADED, true, "PodsNotReady", unreadyMessage);
        } else {
            cs.set(DEGRADED, false, "AsExpected", "No role reports a failure.");
        }
        boolean degraded = !failures.isEmpty() || !unready.isEmpty();

        backend(c, s, cs, observed, roles, swap);

        s.conditions = cs.build();
        s.phase = !specValid ? PHASE_INVALID : paused ? PHASE_PAUSED : degraded ? PHASE_DEGRADED
                : allReady ? PHASE_RUNNING : PHASE_PENDING;
        s.endpoints = EndpointsModel.of(c, observed.cometExternalHost());
        s.clientAuth = EndpointsModel.clientAuth(c);
        s.warnings = warnings == null || warnings.isEmpty() ? null : List.copyOf(warnings);
        return s;
    }

    /**
     * The broker image the role's pods run: the Deployment's once it is rolled out with no old pod left, else
     * the one reported before (a rollout in progress runs both); null before the first rollout completes.
     */
    static String runningImage(Deployment d, Role role, PubSubClusterStatus old) {
        RoleStatus before = switch (role) {
            case COMET -> old.comet;
            case LOGIC -> old.logic;
            case JOB -> old.job;
        };
        String previous = before == null ? null : before.image;
        String template = ImageRollout.image(d);
        return template != null && ImageRollout.runs(d, template) ? template : previous;
    }

    private static List<String> failures(Observed observed) {
        List<String> f = new ArrayList<>();
        observed.deployments().forEach((role, d) -> {
            if (d == null || d.getStatus() == null || d.getStatus().getConditions() == null) {
                return;
            }
            for (DeploymentCondition dc : d.getStatus().getConditions()) {
                boolean deadline = "Progressing".equals(dc.getType()) && "False".equals(dc.getStatus());
                boolean replicaFailure = "ReplicaFailure".equals(dc.getType()) && "True".equals(dc.getStatus());
                if (deadline || replicaFailure) {
                    f.add(role.id() + ": " + dc.getReason() + (dc.getMessage() == null ? "" : " (" + dc.getMessage() + ")"));
                }
            }
        });
        return f;
    }

    private static void backend(PubSubCluster c, PubSubClusterStatus s, ConditionSet cs, Observed observed,
                                Map<Role, RoleStatus> roles, BackendSwap.Step swap) {
        PubSubClusterStatus.BackendStatus b = swap.backend();
        MqSpec.Backend desired = MqSpec.Backend.valueOf(b.active);
        boolean brokersReady = roles.get(Role.LOGIC).fullyReady() && roles.get(Role.JOB).fullyReady()
                && Rollouts.rolledOut(observed.deployments().get(Role.LOGIC))
                && Rollouts.rolledOut(observed.deployments().get(Role.JOB));
        s.backend = b;
        cs.set(MIGRATING, swap.inProgress(), swap.reason(), swap.message());

        List<String> waiting = new ArrayList<>();
        if (RedisModel.managed(c)) {
            statefulSetReady(observed.redis(), "managed Redis", waiting);
        }
        if (NatsModel.runs(c, swap.state())) {
            statefulSetReady(observed.nats(), "managed NATS", waiting);
        }
        if (MqttModel.runs(c, swap.state())) {
            statefulSetReady(observed.mqtt(), "managed Mosquitto", waiting);
        }
        boolean external = !RedisModel.managed(c) || desired == MqSpec.Backend.kafka
                || (desired == MqSpec.Backend.nats && !NatsModel.runs(c, swap.state()))
                || (desired == MqSpec.Backend.mqtt && !MqttModel.runs(c, swap.state()));
        if (!waiting.isEmpty()) {
            cs.set(BACKEND_READY, false, "ManagedBackendNotReady", String.join(", ", waiting) + " not ready.");
        } else if (external && !brokersReady) {
            cs.set(BACKEND_READY, ConditionSet.UNKNOWN, "NotObserved",
                    "The operator does not connect to external backends itself; it reports them ready once logic "
                            + "and job (their users) are ready.");
        } else {
            cs.set(BACKEND_READY, true, external ? "BrokersConnected" : "ManagedBackendReady",
                    "Backend " + b.active + (external ? ": logic and job, which use it, are ready." : " is ready."));
        }
    }

    /** Ready with a majority of its servers ready: all a single server, 2 of a NATS cluster of 3 (its quorum). */
    private static void statefulSetReady(Optional<StatefulSet> ss, String what, List<String> waiting) {
        int desired = ss.map(s -> s.getSpec() == null || s.getSpec().getReplicas() == null ? 1
                : s.getSpec().getReplicas()).orElse(1);
        int ready = ss.map(s -> s.getStatus() == null || s.getStatus().getReadyReplicas() == null ? 0
                : s.getStatus().getReadyReplicas()).orElse(0);
        if (ready < desired / 2 + 1) {
            waiting.add(desired > 1 ? what + " (" + ready + " of " + desired + " servers ready, a majority needed)"
                    : what);
        }
    }
}
