package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.model.BrokerConfigRenderer;
import dev.imcluster.operator.model.CertManagerModel;
import dev.imcluster.operator.model.DeploymentModel;
import dev.imcluster.operator.model.ManagedBackend;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.SwapState;
import dev.imcluster.operator.model.OperatorConfig;
import dev.imcluster.operator.model.Role;
import dev.imcluster.operator.reconciler.dependent.ConfigMapDependent;
import dev.imcluster.operator.reconciler.dependent.Conditions;
import dev.imcluster.operator.reconciler.dependent.EventSourceNames;
import dev.imcluster.operator.reconciler.dependent.InternalTlsSecretDependents;
import dev.imcluster.operator.reconciler.dependent.InternalTokenSecretDependent;
import dev.imcluster.operator.model.InternalCertificates;
import io.fabric8.kubernetes.api.model.Secret;
import dev.imcluster.operator.reconciler.dependent.NetworkPolicyDependent;
import dev.imcluster.operator.reconciler.dependent.PdbDependents;
import dev.imcluster.operator.reconciler.dependent.ReconcileInputs;
import dev.imcluster.operator.reconciler.dependent.RedisPasswordSecretDependent;
import dev.imcluster.operator.reconciler.dependent.RoleDeploymentDependent;
import dev.imcluster.operator.reconciler.dependent.ServiceAccountDependent;
import dev.imcluster.operator.reconciler.dependent.ServiceDependents;
import dev.imcluster.operator.reconciler.dependent.StatefulSetDependents;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

import static dev.imcluster.operator.reconciler.ConditionTypes.*;

/**
 * Reconciles a PubSubCluster: declares its dependents, gates them ({@link SpecGate}: what the schema cannot check,
 * Secrets, pause, ownership), advances a backend swap ({@link BackendSwap}), renders the broker config once and
 * runs the workflow, then computes the status ({@link StatusCalculator}), announces its transitions
 * ({@link TransitionEvents}) and patches it when it changed ({@link StatusPatch}, cached for the next reconciliation).
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
        @Dependent(name = "nats-cluster-service", type = ServiceDependents.NatsCluster.class,
                reconcilePrecondition = Conditions.ManagedNatsCluster.class,
                useEventSourceWithName = EventSourceNames.SERVICES),
        @Dependent(name = "mqtt", type = StatefulSetDependents.Mqtt.class,
                reconcilePrecondition = Conditions.ManagedMqtt.class,
                useEventSourceWithName = EventSourceNames.STATEFUL_SETS),
        @Dependent(name = "mqtt-service", type = ServiceDependents.Mqtt.class,
                reconcilePrecondition = Conditions.ManagedMqtt.class,
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
        @Dependent(name = "internal-ca", type = InternalTlsSecretDependents.Ca.class,
                reconcilePrecondition = Conditions.OwnInternalCa.class,
                useEventSourceWithName = EventSourceNames.INTERNAL_TLS_SECRETS),
        @Dependent(name = "comet-internal-tls", type = InternalTlsSecretDependents.Comet.class,
                reconcilePrecondition = Conditions.OwnInternalCa.class,
                useEventSourceWithName = EventSourceNames.INTERNAL_TLS_SECRETS),
        @Dependent(name = "logic-internal-tls", type = InternalTlsSecretDependents.Logic.class,
                reconcilePrecondition = Conditions.OwnInternalCa.class,
                useEventSourceWithName = EventSourceNames.INTERNAL_TLS_SECRETS),
        @Dependent(name = "job-internal-tls", type = InternalTlsSecretDependents.Job.class,
                reconcilePrecondition = Conditions.OwnInternalCa.class,
                useEventSourceWithName = EventSourceNames.INTERNAL_TLS_SECRETS),
        @Dependent(name = "redis-internal-tls", type = InternalTlsSecretDependents.Redis.class,
                reconcilePrecondition = Conditions.RedisInternalTls.class,
                useEventSourceWithName = EventSourceNames.INTERNAL_TLS_SECRETS),
        @Dependent(name = "nats-internal-tls", type = InternalTlsSecretDependents.Nats.class,
                reconcilePrecondition = Conditions.NatsInternalTls.class,
                useEventSourceWithName = EventSourceNames.INTERNAL_TLS_SECRETS),
        @Dependent(name = "mqtt-internal-tls", type = InternalTlsSecretDependents.Mqtt.class,
                reconcilePrecondition = Conditions.MqttInternalTls.class,
                useEventSourceWithName = EventSourceNames.INTERNAL_TLS_SECRETS),
})
public class PubSubClusterReconciler implements Reconciler<PubSubCluster> {
    public static final String NAME = "pubsubcluster";
    /** How often an invalid cluster is re-checked (a missing Secret may appear; Secrets are not watched). */
    static final Duration INVALID_RECHECK = Duration.ofSeconds(30);
    /** While a backend swap waits on something no watched object signals (job's drain), check this often. */
    static final Duration SWAP_POLL = Duration.ofSeconds(5);
    /** While any swap phase is in progress: a safety net besides Deployment events. */
    static final Duration SWAP_RECHECK = Duration.ofSeconds(30);
    /** How soon a deleted cluster's gauges leave /metrics (without a finalizer, nothing calls us on delete). */
    static final Duration GAUGE_SWEEP = Duration.ofSeconds(30);
    private static final ScheduledExecutorService GAUGE_SWEEPER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cluster-gauge-sweep");
        t.setDaemon(true);
        return t;
    });
    private static final Logger LOG = LoggerFactory.getLogger(PubSubClusterReconciler.class);

    private final OperatorConfig operatorConfig;
    private final Supplier<ApiCapabilities> capabilities;
    private final Clock clock;
    private final DrainProbe drainProbe;
    /**
     * Every reconcile call, and those that failed: the operator's throughput at a glance (JOSDK's own counters are
     * per resource, one series per cluster).
     */
    private final Counter reconciles;
    private final Counter failures;
    private final CertificateRotation certificates;
    private final SwapMetrics swapMetrics;
    private final ClusterGauges gauges;

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
        this.gauges = new ClusterGauges(registry);
        this.certificates = new CertificateRotation(registry, gauges, clock);
        this.swapMetrics = new SwapMetrics(gauges);
    }

    @Override
    public List<EventSource<?, PubSubCluster>> prepareEventSources(EventSourceContext<PubSubCluster> context) {
        var clusters = context.getPrimaryCache();
        GAUGE_SWEEPER.scheduleWithFixedDelay(() -> gauges.retainOnly(clusters::contains), GAUGE_SWEEP.toSeconds(),
                GAUGE_SWEEP.toSeconds(), TimeUnit.SECONDS);
        return List.of(
                informer(context, Deployment.class, EventSourceNames.DEPLOYMENTS),
                informer(context, Service.class, EventSourceNames.SERVICES),
                informer(context, StatefulSet.class, EventSourceNames.STATEFUL_SETS),
                informer(context, Secret.class, EventSourceNames.INTERNAL_TLS_SECRETS));
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
        StatusCalculator.Gate gate = SpecGate.check(cluster, context, caps);
        BackendSwap.Step swap;
        InternalCertificates.Plan certificatePlan = null;
        if (gate.isOpen()) {
            swap = reconcileOwned(cluster, context, caps);
            certificatePlan = ReconcileInputs.of(context).certificates();
        } else {
            swap = BackendSwap.hold(cluster);
            LOG.debug("cluster={}/{} not reconciling owned objects: problems={} pausedBy={}",
                    cluster.getMetadata().getNamespace(), cluster.getMetadata().getName(), gate.specProblems(),
                    gate.pausedBy());
        }

        PubSubClusterStatus next = StatusCalculator.next(cluster, StatusCalculator.Observed.from(cluster, context),
                gate, StatusCalculator.warnings(cluster, caps), now(), swap);
        EventRecorder events = new EventRecorder(context.getClient());
        TransitionEvents.recordPhase(events, cluster, cluster.getStatus() == null ? null : cluster.getStatus().phase,
                next);
        TransitionEvents.record(events, cluster,
                cluster.getStatus() == null ? null : cluster.getStatus().conditions, next, swap.events());
        StatusPatch.ifChanged(cluster, next, context);
        swapMetrics.record(cluster, next);
        if (certificatePlan != null) {
            certificates.announce(cluster, certificatePlan, events);
        }

        UpdateControl<PubSubCluster> control = UpdateControl.noUpdate();
        Duration recheck = null;
        if (!gate.specProblems().isEmpty()) {
            recheck = INVALID_RECHECK;
        } else if (swap.pollSoon()) {
            recheck = SWAP_POLL;
        } else if (swap.inProgress()) {
            recheck = SWAP_RECHECK;
        }
        if (certificatePlan != null) { // renewals are due at a time no watched object signals
            Duration renew = certificates.recheck(certificatePlan);
            recheck = recheck == null || renew.compareTo(recheck) < 0 ? renew : recheck;
        } else if (gate.isOpen() && CertManagerModel.wanted(cluster) && !ManagedBackend.withTls(cluster).isEmpty()) {
            // cert-manager renews the backends' Secrets unseen (they have no owner reference): look at them again
            // in time to roll the backend well before its old certificate expires.
            Duration look = CertificateRotation.certManagerRecheck(cluster);
            recheck = recheck == null || look.compareTo(recheck) < 0 ? look : recheck;
        }
        if (recheck != null) {
            control.rescheduleAfter(recheck);
        }
        return control;
    }

    /**
     * Advances a backend swap on what the informers saw, renders the broker config once for the resulting state,
     * hands it to the dependents and runs the workflow; then the ServiceMonitor.
     */
    private BackendSwap.Step reconcileOwned(PubSubCluster cluster, Context<PubSubCluster> context,
                                            ApiCapabilities caps) {
        Map<SwapState, BrokerConfigRenderer.Rendered> rendered = new HashMap<>();
        Function<SwapState, BrokerConfigRenderer.Rendered> render =
                state -> rendered.computeIfAbsent(state, s -> BrokerConfigRenderer.render(cluster, s));
        Map<Role, Deployment> live = StatusCalculator.Observed.from(cluster, context).deployments();
        BackendSwap.Step swap = BackendSwap.advance(cluster, live,
                (state, logicHash) -> drainProbe.check(context.getClient(), cluster, state, logicHash), now(), render);
        InternalCertificates.Plan plan = certificates.plan(cluster, context.getClient());
        new ReconcileInputs(operatorConfig, caps, swap.state(), render.apply(swap.state()), plan,
                CertificateRotation.backendCertificates(cluster, plan, context.getClient()),
                ImageRollout.images(DeploymentModel.image(cluster, operatorConfig), live)).putInto(context);
        context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
        ServiceMonitorSync.reconcile(cluster, context.getClient(), caps, operatorConfig.serviceMonitorLabels());
        CertManagerSync.reconcile(cluster, context.getClient(), caps);
        return swap;
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
        String phaseBefore = status.phase;
        status.conditions = cs.build();
        status.phase = PHASE_DEGRADED;
        cluster.setStatus(status);
        EventRecorder events = new EventRecorder(context.getClient());
        TransitionEvents.recordPhase(events, cluster, phaseBefore, status);
        if (!wasDegraded) {
            events.warning(cluster, "ReconcileFailed", message);
        }
        LOG.warn("cluster={}/{} reconcile failed: {}", cluster.getMetadata().getNamespace(),
                cluster.getMetadata().getName(), message);
        return ErrorStatusUpdateControl.patchStatus(StatusPatch.of(cluster, context));
    }

    private String now() {
        return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
