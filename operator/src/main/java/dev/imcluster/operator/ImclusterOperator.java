package dev.imcluster.operator;

import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.reconciler.DrainProbe;
import dev.imcluster.operator.reconciler.HttpDrainProbe;
import dev.imcluster.operator.reconciler.PubSubClusterReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.util.function.Supplier;

/** Builds the JOSDK Operator with the PubSubCluster controller; shared by main and the tests. */
public final class ImclusterOperator {
    private ImclusterOperator() {
    }

    /**
     * @param capabilities null to discover them from the API server (cached); tests on the mock server pass
     *                     {@link ApiCapabilities#current()}
     */
    public static Operator create(KubernetesClient client, OperatorSettings settings, MeterRegistry registry,
                                  Supplier<ApiCapabilities> capabilities) {
        return create(client, settings, registry, capabilities, new HttpDrainProbe(), null);
    }

    /** @param drainProbe how a backend swap learns that job drained the old backend (tests fake it) */
    public static Operator create(KubernetesClient client, OperatorSettings settings, MeterRegistry registry,
                                  Supplier<ApiCapabilities> capabilities, DrainProbe drainProbe) {
        return create(client, settings, registry, capabilities, drainProbe, null);
    }

    /**
     * @param leaderCallbacks null for JOSDK's default (System.exit when the Lease is lost); otherwise these
     *                        callbacks, and JOSDK does not exit by itself (see {@link GracefulShutdown})
     */
    static Operator create(KubernetesClient client, OperatorSettings settings, MeterRegistry registry,
                           Supplier<ApiCapabilities> capabilities, DrainProbe drainProbe,
                           LeaderCallbacks leaderCallbacks) {
        Supplier<ApiCapabilities> caps = capabilities != null ? capabilities
                : new CachedCapabilities(client, settings.capabilitiesTtl(), Clock.systemUTC());
        Operator operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withMetrics(MicrometerMetrics.newPerResourceCollectingMicrometerMetricsBuilder(registry).build())
                    .withConcurrentReconciliationThreads(settings.reconcileThreads())
                    .withSSABasedCreateUpdateMatchForDependentResources(settings.serverSideApply())
                    .withUseSSAToPatchPrimaryResource(settings.serverSideApply())
                    .withReconciliationTerminationTimeout(GracefulShutdown.RECONCILE_GRACE)
                    .withCloseClientOnStop(false);
            if (settings.leaderElection() && leaderCallbacks == null) {
                o.withLeaderElectionConfiguration(settings.leaseNamespace() == null
                        ? new LeaderElectionConfiguration(settings.leaseName())
                        : new LeaderElectionConfiguration(settings.leaseName(), settings.leaseNamespace()));
            } else if (settings.leaderElection()) {
                o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(settings.leaseName(),
                        settings.leaseNamespace(), LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
                        LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
                        LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, null, leaderCallbacks, false));
            }
        });
        operator.register(new PubSubClusterReconciler(settings.model(), caps, Clock.systemUTC(), drainProbe,
                registry), o -> {
            if (settings.namespaces().isEmpty()) {
                o.watchingAllNamespaces();
            } else {
                o.settingNamespaces(settings.namespaces());
            }
        });
        return operator;
    }
}
