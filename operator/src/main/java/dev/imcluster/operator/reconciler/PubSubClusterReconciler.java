package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.MetricsSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.model.BrokerConfigRenderer;
import dev.imcluster.operator.model.EndpointsModel;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.Mounts;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.OperatorConfig;
import dev.imcluster.operator.model.Role;
import dev.imcluster.operator.model.SecretRefs;
import dev.imcluster.operator.model.SpecValidation;
import dev.imcluster.operator.reconciler.dependent.ConfigMapDependent;
import dev.imcluster.operator.reconciler.dependent.Conditions;
import dev.imcluster.operator.reconciler.dependent.EventSourceNames;
import dev.imcluster.operator.reconciler.dependent.NetworkPolicyDependent;
import dev.imcluster.operator.reconciler.dependent.PdbDependents;
import dev.imcluster.operator.reconciler.dependent.ReconcileInputs;
import dev.imcluster.operator.reconciler.dependent.InternalTokenSecretDependent;
import dev.imcluster.operator.reconciler.dependent.RedisPasswordSecretDependent;
import dev.imcluster.operator.reconciler.dependent.RoleDeploymentDependent;
import dev.imcluster.operator.reconciler.dependent.ServiceAccountDependent;
import dev.imcluster.operator.reconciler.dependent.ServiceDependents;
import dev.imcluster.operator.reconciler.dependent.StatefulSetDependents;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import static dev.imcluster.operator.reconciler.ConditionTypes.*;

/**
 * Reconciles a PubSubCluster: validates what the schema cannot (Secrets, CEL rules on servers without CEL, values
 * the API server would refuse on owned objects, objects of the same name that belong to someone else), then
 * runs the dependent-resource workflow unless the spec is invalid or the cluster is paused, then derives status
 * from the live Deployments and StatefulSets.
 *
 * <p>The ServiceMonitor is not a workflow dependent: JOSDK builds an informer for an untyped dependent through API
 * discovery even when its activation condition is false, which fails wherever the monitoring CRD is absent. So
 * {@link ServiceMonitorSync} handles it after the workflow, only when the CRD exists.
 *
 * <p>The workflow is invoked explicitly so that an invalid spec or a pause touches no owned object. Generation-aware
 * event processing is off because the paused annotation changes metadata, not the generation; the status is only
 * patched when it changes, so the extra reconciliations write nothing.
 */
@ControllerConfiguration(name = PubSubClusterReconciler.NAME, generationAwareEventProcessing = false)
@Workflow(explicitInvocation = true, dependents = {
        @Dependent(name = "config", type = ConfigMapDependent.class),
        @Dependent(name = "service-account", type = ServiceAccountDependent.class),
        @Dependent(name = "redis-password", type = RedisPasswordSecretDependent.class,
                reconcilePrecondition = Conditions.ManagedRedis.class),
        @Dependent(name = "internal-token", type = InternalTokenSecretDependent.class,
                reconcilePrecondition = Conditions.GeneratedInternalToken.class),
        @Dependent(name = "redis", type = StatefulSetDependents.Redis.class,
                reconcilePrecondition = Conditions.ManagedRedis.class, dependsOn = "redis-password",
                useEventSourceWithName = EventSourceNames.STATEFUL_SETS),
        @Dependent(name = "redis-service", type = ServiceDependents.Redis.class,
                reconcilePrecondition = Conditions.ManagedRedis.class,
                useEventSourceWithName = EventSourceNames.SERVICES),
        @Dependent(name = "nats", type = StatefulSetDependents.Nats.class,
                reconcilePrecondition = Conditions.ManagedNats.class,
                useEventSourceWithName = EventSourceNames.STATEFUL_SETS),
        @Dependent(name = "nats-service", type = ServiceDependents.Nats.class,
                reconcilePrecondition = Conditions.ManagedNats.class,
                useEventSourceWithName = EventSourceNames.SERVICES),
        @Dependent(name = "comet", type = RoleDeploymentDependent.Comet.class, dependsOn = {"config", "service-account"},
                useEventSourceWithName = EventSourceNames.DEPLOYMENTS),
        @Dependent(name = "logic", type = RoleDeploymentDependent.Logic.class, dependsOn = {"config", "service-account"},
                useEventSourceWithName = EventSourceNames.DEPLOYMENTS),
        @Dependent(name = "job", type = RoleDeploymentDependent.Job.class, dependsOn = {"config", "service-account"},
                useEventSourceWithName = EventSourceNames.DEPLOYMENTS),
        @Dependent(name = "comet-service", type = ServiceDependents.CometExternal.class,
                useEventSourceWithName = EventSourceNames.SERVICES),
        @Dependent(name = "comet-headless", type = ServiceDependents.CometHeadless.class,
                useEventSourceWithName = EventSourceNames.SERVICES),
        @Dependent(name = "logic-service", type = ServiceDependents.Logic.class,
                useEventSourceWithName = EventSourceNames.SERVICES),
        @Dependent(name = "metrics-service", type = ServiceDependents.Metrics.class,
                useEventSourceWithName = EventSourceNames.SERVICES),
        @Dependent(name = "pdb", type = PdbDependents.V1.class, activationCondition = Conditions.PdbV1.class),
        @Dependent(name = "pdb-v1beta1", type = PdbDependents.V1beta1.class,
                activationCondition = Conditions.PdbV1beta1.class),
        @Dependent(name = "network-policies", type = NetworkPolicyDependent.class,
                reconcilePrecondition = Conditions.NetworkPolicyEnabled.class),
})
public class PubSubClusterReconciler implements Reconciler<PubSubCluster> {
    public static final String NAME = "pubsubcluster";
    /** How often an invalid cluster is re-checked (a missing Secret may appear; Secrets are not watched). */
    static final Duration INVALID_RECHECK = Duration.ofSeconds(30);
    private static final Logger LOG = LoggerFactory.getLogger(PubSubClusterReconciler.class);
    private static final com.fasterxml.jackson.databind.ObjectMapper STATUS_MAPPER =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private final OperatorConfig operatorConfig;
    private final Supplier<ApiCapabilities> capabilities;
    private final Clock clock;
    private final DrainProbe drainProbe;
    /**
     * status.backend as this operator last computed it, per cluster uid. The informer may hand the next
     * reconciliation a primary from before our own status patch; a swap must never step back (re-render an earlier
     * phase, announce a phase twice), and only this operator writes status, so its own last value wins.
     */
    private final Map<String, PubSubClusterStatus.BackendStatus> lastBackend = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * The conditions this operator last computed, per cluster uid, for the transition events: a reconciliation that
     * still sees the status from before our own patch would otherwise announce the same transition (Ready, InvalidSpec)
     * a second time. Whether to patch is still decided against the informer's status.
     */
    private final Map<String, List<Condition>> lastConditions = new java.util.concurrent.ConcurrentHashMap<>();
    /** While a backend swap waits on something no watched object signals (job's drain), check this often. */
    static final Duration MIGRATION_POLL = Duration.ofSeconds(5);
    /** While any swap phase is in progress: a safety net besides Deployment events. */
    static final Duration MIGRATION_RECHECK = Duration.ofSeconds(30);

    /**
     * Every reconcile call, and those that failed: the operator's throughput at a glance (JOSDK's own counters are
     * per resource, one series per cluster).
     */
    private final Counter reconciles;
    private final Counter failures;

    public PubSubClusterReconciler(OperatorConfig operatorConfig, Supplier<ApiCapabilities> capabilities, Clock clock) {
        this(operatorConfig, capabilities, clock, new HttpDrainProbe(), new SimpleMeterRegistry());
    }

    public PubSubClusterReconciler(OperatorConfig operatorConfig, Supplier<ApiCapabilities> capabilities, Clock clock,
                                   DrainProbe drainProbe, MeterRegistry registry) {
        this.operatorConfig = operatorConfig;
        this.capabilities = capabilities;
        this.clock = clock;
        this.drainProbe = drainProbe;
        this.reconciles = Counter.builder("imcluster.operator.reconciles")
                .description("PubSubCluster reconciliations started").register(registry);
        this.failures = Counter.builder("imcluster.operator.reconcile.failures")
                .description("PubSubCluster reconciliations that failed (JOSDK retries them)").register(registry);
    }

    @Override
    public List<EventSource<?, PubSubCluster>> prepareEventSources(EventSourceContext<PubSubCluster> context) {
        return List.of(
                informer(context, Deployment.class, EventSourceNames.DEPLOYMENTS),
                informer(context, Service.class, EventSourceNames.SERVICES),
                informer(context, StatefulSet.class, EventSourceNames.STATEFUL_SETS));
    }

    private static <R extends HasMetadata> InformerEventSource<R, PubSubCluster> informer(
            EventSourceContext<PubSubCluster> context, Class<R> type, String name) {
        return new InformerEventSource<>(InformerEventSourceConfiguration.from(type, PubSubCluster.class)
                .withName(name)
                .withLabelSelector(Labels.MANAGED_SELECTOR)
                .withNamespacesInheritedFromController()
                .build(), context);
    }

    @Override
    public UpdateControl<PubSubCluster> reconcile(PubSubCluster cluster, Context<PubSubCluster> context) {
        reconciles.increment();
        ApiCapabilities caps = capabilities.get();
        List<String> problems = new ArrayList<>(SpecValidation.problems(cluster));
        if (problems.isEmpty()) {
            problems.addAll(secretProblems(cluster, context.getClient()));
        }
        String pausedBy = pausedBy(cluster);
        if (problems.isEmpty() && pausedBy == null) {
            problems.addAll(OwnershipGuard.problems(cluster, context, caps));
        }
        PubSubClusterStatus previous = cluster.getStatus() == null ? null
                : STATUS_MAPPER.convertValue(cluster.getStatus(), PubSubClusterStatus.class);
        String uid = cluster.getMetadata().getUid();
        PubSubClusterStatus.BackendStatus known = uid == null ? null : lastBackend.get(uid);
        if (known != null) {
            if (cluster.getStatus() == null) {
                cluster.setStatus(new PubSubClusterStatus());
            }
            cluster.getStatus().backend = known;
        }
        BackendMigration.Step migration;
        if (problems.isEmpty() && pausedBy == null) {
            // The swap advances on what the informers saw, then every role is rendered for the resulting phase.
            migration = BackendMigration.advance(cluster, observe(cluster, context).deployments(),
                    (state, logicHash) -> drainProbe.check(context.getClient(), cluster, state, logicHash), now());
            // Dependents and their conditions (managed NATS, Kafka credentials) read the swap from status.
            if (cluster.getStatus() == null) {
                cluster.setStatus(new PubSubClusterStatus());
            }
            cluster.getStatus().backend = migration.backend();
            new ReconcileInputs(operatorConfig, caps, BrokerConfigRenderer.render(cluster, migration.state()))
                    .putInto(context);
            context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
            ServiceMonitorSync.reconcile(cluster, context.getClient(), caps);
        } else {
            migration = BackendMigration.hold(cluster);
            LOG.debug("cluster={}/{} not reconciling owned objects: problems={} pausedBy={}",
                    cluster.getMetadata().getNamespace(), cluster.getMetadata().getName(), problems, pausedBy);
        }

        PubSubClusterStatus next = StatusCalculator.next(cluster, observe(cluster, context),
                new StatusCalculator.Gate(problems, pausedBy), warnings(cluster, caps), now(), migration);
        List<Condition> announced = uid == null ? null : lastConditions.get(uid);
        if (uid != null) {
            lastBackend.put(uid, migration.backend());
            lastConditions.put(uid, next.conditions);
        }
        cluster.setStatus(previous);
        EventRecorder events = new EventRecorder(context.getClient());
        recordTransitions(events, cluster, announced != null ? announced
                : previous == null ? List.of() : previous.conditions, next);
        migration.events().forEach(e -> events.normal(cluster, e.reason(), e.message()));

        UpdateControl<PubSubCluster> control;
        if (sameStatus(previous, next)) {
            control = UpdateControl.noUpdate();
        } else {
            cluster.setStatus(next);
            control = UpdateControl.patchStatus(statusPatch(cluster, context));
        }
        if (!problems.isEmpty()) {
            control.rescheduleAfter(INVALID_RECHECK);
        } else if (migration.pollSoon()) {
            control.rescheduleAfter(MIGRATION_POLL);
        } else if (migration.migrating()) {
            control.rescheduleAfter(MIGRATION_RECHECK);
        }
        return control;
    }

    @Override
    public ErrorStatusUpdateControl<PubSubCluster> updateErrorStatus(PubSubCluster cluster,
                                                                     Context<PubSubCluster> context, Exception e) {
        failures.increment();
        PubSubClusterStatus status = cluster.getStatus() == null ? new PubSubClusterStatus() : cluster.getStatus();
        long generation = cluster.getMetadata().getGeneration() == null ? 0 : cluster.getMetadata().getGeneration();
        ConditionSet cs = new ConditionSet(status.conditions, generation, now());
        if (status.conditions != null) {
            status.conditions.forEach(c -> cs.keep(c.getType()));
        }
        String message = Optional.ofNullable(e.getMessage()).orElse(e.getClass().getSimpleName());
        cs.set(DEGRADED, true, "ReconcileFailed", message.length() > 1000 ? message.substring(0, 1000) : message);
        boolean wasDegraded = ConditionSet.isTrue(status.conditions, DEGRADED);
        status.conditions = cs.build();
        status.phase = PHASE_DEGRADED;
        cluster.setStatus(status);
        if (!wasDegraded) {
            new EventRecorder(context.getClient()).warning(cluster, "ReconcileFailed", message);
        }
        LOG.warn("cluster={}/{} reconcile failed: {}", cluster.getMetadata().getNamespace(),
                cluster.getMetadata().getName(), message);
        return ErrorStatusUpdateControl.patchStatus(statusPatch(cluster, context));
    }

    /**
     * What the status patch sends. With server-side apply, only the identity and the status: API servers before 1.22
     * (no reset fields for subresources) record every field of an apply to the status subresource as owned by the
     * operator, spec included, and a user's next {@code kubectl apply --server-side} of the spec then conflicts with
     * the operator's field manager. Without SSA (a JSON patch computed against the original), the whole object.
     */
    static PubSubCluster statusPatch(PubSubCluster cluster, Context<PubSubCluster> context) {
        if (!context.getControllerConfiguration().getConfigurationService().useSSAToPatchPrimaryResource()) {
            return cluster;
        }
        PubSubCluster patch = new PubSubCluster();
        patch.setMetadata(new ObjectMetaBuilder()
                .withName(cluster.getMetadata().getName())
                .withNamespace(cluster.getMetadata().getNamespace())
                .withUid(cluster.getMetadata().getUid())
                .build());
        patch.setSpec(null);   // CustomResource's constructor makes a default spec; its defaults must not be applied
        patch.setStatus(cluster.getStatus());
        return patch;
    }

    private String now() {
        return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    static String pausedBy(PubSubCluster c) {
        if (Boolean.TRUE.equals(c.getSpec().paused)) {
            return "spec.paused";
        }
        return c.paused() ? "annotation " + PubSubCluster.PAUSED_ANNOTATION : null;
    }

    /** Referenced Secrets and keys that do not exist; each message names the field and the Secret. */
    static List<String> secretProblems(PubSubCluster c, KubernetesClient client) {
        List<String> problems = new ArrayList<>();
        Map<String, Optional<Secret>> secrets = new HashMap<>();
        String ns = c.getMetadata().getNamespace();
        for (SecretRefs.Ref ref : SecretRefs.userProvided(c)) {
            Optional<Secret> s = secrets.computeIfAbsent(ref.name(),
                    n -> Optional.ofNullable(client.secrets().inNamespace(ns).withName(n).get()));
            if (s.isEmpty()) {
                String msg = ref.field() + ": Secret '" + ref.name() + "' does not exist in namespace " + ns;
                if (!problems.contains(msg)) {
                    problems.add(msg);
                }
            } else if (!hasKey(s.get(), ref.key())) {
                problems.add(ref.field() + ": Secret '" + ref.name() + "' has no key '" + ref.key() + "'");
            }
        }
        return problems;
    }

    private static boolean hasKey(Secret s, String key) {
        return (s.getData() != null && s.getData().containsKey(key))
                || (s.getStringData() != null && s.getStringData().containsKey(key));
    }

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
        return w;
    }

    private static StatusCalculator.Observed observe(PubSubCluster c, Context<PubSubCluster> context) {
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
        return new StatusCalculator.Observed(deployments, Optional.ofNullable(sets.get(Names.redis(c))),
                Optional.ofNullable(sets.get(Names.nats(c))), EndpointsModel.loadBalancerHost(cometService));
    }

    private static boolean sameStatus(PubSubClusterStatus a, PubSubClusterStatus b) {
        if (a == null || b == null) {
            return a == b;
        }
        return STATUS_MAPPER.valueToTree(a).equals(STATUS_MAPPER.valueToTree(b));
    }

    private static void recordTransitions(EventRecorder events, PubSubCluster c, List<Condition> before,
                                          PubSubClusterStatus after) {
        List<Condition> was = before == null ? List.of() : before;
        List<Condition> now = after.conditions;
        Optional<Condition> validBefore = ConditionSet.find(was, SPEC_VALID);
        Condition valid = ConditionSet.find(now, SPEC_VALID).orElseThrow();
        if (ConditionSet.FALSE.equals(valid.getStatus())
                && (validBefore.isEmpty() || !Objects.equals(validBefore.get().getMessage(), valid.getMessage()))) {
            events.warning(c, "InvalidSpec", valid.getMessage());
        } else if (ConditionSet.TRUE.equals(valid.getStatus()) && validBefore.isPresent()
                && ConditionSet.FALSE.equals(validBefore.get().getStatus())) {
            events.normal(c, "SpecValid", "The spec is valid again; reconciling owned objects.");
        }
        transition(events, c, was, now, PAUSED, "Paused", "Resumed");
        boolean readyBefore = ConditionSet.isTrue(was, READY);
        boolean readyNow = ConditionSet.isTrue(now, READY);
        if (readyNow && !readyBefore) {
            events.normal(c, "Ready", "All roles are ready.");
        } else if (!readyNow && readyBefore) {
            events.warning(c, "NotReady", ConditionSet.find(now, READY).orElseThrow().getMessage());
        }
        if (ConditionSet.isTrue(now, DEGRADED) && !ConditionSet.isTrue(was, DEGRADED)) {
            events.warning(c, "Degraded", ConditionSet.find(now, DEGRADED).orElseThrow().getMessage());
        }
    }

    private static void transition(EventRecorder events, PubSubCluster c, List<Condition> was, List<Condition> now,
                                   String type, String onTrue, String onFalse) {
        boolean before = ConditionSet.isTrue(was, type);
        boolean after = ConditionSet.isTrue(now, type);
        if (after && !before) {
            events.normal(c, onTrue, ConditionSet.find(now, type).orElseThrow().getMessage());
        } else if (!after && before) {
            events.normal(c, onFalse, ConditionSet.find(now, type).orElseThrow().getMessage());
        }
    }
}
