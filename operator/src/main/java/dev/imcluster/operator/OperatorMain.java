package dev.imcluster.operator;

import dev.imcluster.common.metrics.ProcessMeters;
import dev.imcluster.common.metrics.PrometheusLint;
import dev.imcluster.operator.reconciler.HttpDrainProbe;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CountDownLatch;

/**
 * The operator process: kubeconfig or in-cluster credentials (fabric8's usual lookup), settings from the
 * environment (see {@link OperatorSettings}), graceful shutdown on SIGTERM.
 */
public final class OperatorMain {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorMain.class);
    static final int CLIENT_RETRIES = 2;

    private OperatorMain() {
    }

    public static void main(String[] args) throws Exception {
        OperatorSettings settings;
        try {
            settings = OperatorSettings.fromEnv(System.getenv());
        } catch (IllegalArgumentException e) {
            LOG.error("invalid settings: {}", e.getMessage());
            System.exit(2);
            return;
        }
        PrometheusMeterRegistry registry = meterRegistry();

        KubernetesClient client = new KubernetesClientBuilder().withConfig(clientConfig()).build();
        GracefulShutdown shutdown = new GracefulShutdown();
        Operator operator = ImclusterOperator.create(client, settings, registry, null, new HttpDrainProbe(),
                shutdown.leaderCallbacks());
        HttpEndpoints http = new HttpEndpoints(settings.httpPort(), operator, registry);
        CountDownLatch stopped = new CountDownLatch(1);
        shutdown.install(() -> {
            try {
                operator.stop();
            } finally {
                http.close();
                client.close();
                stopped.countDown();
            }
        });
        LOG.info("starting imcluster operator: master={} namespaces={} ssa={} leaderElection={} lease={}/{} http={}",
                client.getMasterUrl(), settings.namespaces().isEmpty() ? "all" : settings.namespaces(),
                settings.serverSideApply(), settings.leaderElection(), settings.leaseNamespace(), settings.leaseName(),
                http.port());
        operator.start();
        stopped.await();
    }

    /**
     * The registry behind /metrics: JVM and process meters, lint-clean for Prometheus (see PrometheusLint), one
     * reconcile-time histogram for the operator rather than one per cluster (see ReconcileTimerPerController).
     */
    public static PrometheusMeterRegistry meterRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ReconcileTimerPerController.configure(registry);   // filters first: PrometheusLint registers a meter
        PrometheusLint.configure(registry);
        new ProcessMeters().bindTo(registry);
        return registry;
    }

    /**
     * fabric8's usual lookup, with few client-side retries: fabric8 retries 5xx and 429 answers with exponential
     * backoff (10 times by default, about 100 s), blocking a reconcile thread the whole time. JOSDK's own retry
     * reschedules a failed reconciliation without holding a thread, so a short client backoff is enough.
     */
    static Config clientConfig() {
        Config config = Config.autoConfigure(null);
        config.setRequestRetryBackoffLimit(CLIENT_RETRIES);
        return config;
    }
}
