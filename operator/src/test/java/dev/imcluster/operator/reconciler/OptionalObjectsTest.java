package dev.imcluster.operator.reconciler;

import dev.imcluster.common.testing.Promtool;
import dev.imcluster.operator.HttpEndpointsAccess;
import dev.imcluster.operator.ImclusterOperator;
import dev.imcluster.operator.OperatorSettings;
import dev.imcluster.operator.api.v1alpha1.MetricsSpec;
import dev.imcluster.operator.api.v1alpha1.NetworkPolicySpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.testing.Edits;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.testing.Examples;
import dev.imcluster.operator.testing.MockClusterObjects;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Objects that depend on options or on what the API server offers, with the operator told it runs on a
 * Kubernetes 1.20-like server (policy/v1beta1 only) that has the Prometheus-operator CRDs; plus the operator's own
 * /metrics, /healthz and /readyz.
 */
@EnableKubernetesMockClient(crud = true)
class OptionalObjectsTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static KubernetesClient client;
    static Operator operator;
    static PrometheusMeterRegistry registry = dev.imcluster.operator.OperatorMain.meterRegistry();
    static HttpEndpointsAccess http;

    @BeforeAll
    static void start() throws Exception {
        client.apiextensions().v1().customResourceDefinitions()
                .load(Examples.repoRoot().resolve("crds/pubsubclusters.pubsub.imcluster.dev-v1.yml").toFile()).create();
        client.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName("servicemonitors.monitoring.coreos.com").endMetadata()
                .withNewSpec().withGroup("monitoring.coreos.com").withScope("Namespaced")
                .withNewNames().withKind("ServiceMonitor").withPlural("servicemonitors").endNames()
                .addNewVersion().withName("v1").withServed(true).withStorage(true).endVersion()
                .endSpec().build()).create();
        operator = ImclusterOperator.create(client, OperatorSettings.forTests(Set.of()), registry,
                () -> new ApiCapabilities(false, true));
        http = HttpEndpointsAccess.start(operator, registry);
        operator.start();
    }

    @AfterAll
    static void stop() {
        http.close();
        operator.stop();
    }

    private static PubSubCluster create(String ns, String example, java.util.function.Consumer<PubSubCluster> edit) {
        return MockClusterObjects.create(client, ns, example, edit);
    }

    private static List<GenericKubernetesResource> serviceMonitors(String ns) {
        return client.genericKubernetesResources(ServiceMonitorSync.CONTEXT).inNamespace(ns).list().getItems();
    }

    @Test
    void onKubernetes120PdbsArePolicyV1beta1() {
        String ns = "o-pdb";
        create(ns, "quickstart.yaml", c -> { });
        await().atMost(TIMEOUT).until(() ->
                client.policy().v1beta1().podDisruptionBudget().inNamespace(ns).list().getItems().size() == 3);
        assertThat(client.policy().v1().podDisruptionBudget().inNamespace(ns).list().getItems()).isEmpty();
        await().atMost(TIMEOUT).until(() -> client.resources(PubSubCluster.class).inNamespace(ns)
                .withName("quickstart").get().getStatus() != null);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(client.resources(PubSubCluster.class).inNamespace(ns)
                .withName("quickstart").get().getStatus().warnings).anyMatch(w -> w.contains("policy/v1beta1")));
    }

    @Test
    void managedNatsGetsAStatefulSetAndService() {
        String ns = "o-nats";
        create(ns, "nats.yaml", c -> { });
        await().atMost(TIMEOUT).until(() -> client.apps().statefulSets().inNamespace(ns).withName("nats-im-nats").get() != null
                && client.services().inNamespace(ns).withName("nats-im-nats").get() != null);
        assertThat(client.apps().statefulSets().inNamespace(ns).withName("nats-im-redis").get()).isNotNull();
        assertThat(client.configMaps().inNamespace(ns).withName("nats-im-config").get().getData().get("broker.yaml"))
                .contains("url: nats://nats-im-nats:4222");
    }

    @Test
    void managedMqttGetsMosquittoAServiceAPolicyAndCometsMqttPort() {
        String ns = "o-mqtt";
        client.secrets().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName("im-mqtt").endMetadata()
                .addToStringData("username", "im").addToStringData("password", "not-a-real-one").build()).create();
        create(ns, "mqtt.yaml", c -> {
            c.getSpec().networkPolicy = new NetworkPolicySpec();
            c.getSpec().networkPolicy.enabled = true;
        });
        await().atMost(TIMEOUT).until(() -> client.apps().statefulSets().inNamespace(ns).withName("mqtt-im-mqtt").get() != null
                && client.services().inNamespace(ns).withName("mqtt-im-mqtt").get() != null
                && client.network().v1().networkPolicies().inNamespace(ns).withName("mqtt-im-mqtt").get() != null);
        assertThat(client.apps().statefulSets().inNamespace(ns).withName("mqtt-im-nats").get()).isNull();
        assertThat(client.configMaps().inNamespace(ns).withName("mqtt-im-config").get().getData().get("broker.yaml"))
                .contains("url: tcp://mqtt-im-mqtt:1883", "passwordFile: /var/run/secrets/imcluster/mqtt/password");
        await().atMost(TIMEOUT).until(() -> client.services().inNamespace(ns).withName("mqtt-im-comet").get() != null);
        assertThat(client.services().inNamespace(ns).withName("mqtt-im-comet").get().getSpec().getPorts())
                .anySatisfy(p -> assertThat(p.getName()).isEqualTo("mqtt"));
    }

    @Test
    void anExternalMqttBrokerGetsNoMosquittoAndAMissingSecretStopsTheCluster() {
        String ns = "o-mqtt-ext";
        create(ns, "quickstart.yaml", c -> {
            c.getSpec().mq.backend = dev.imcluster.operator.api.v1alpha1.MqSpec.Backend.mqtt;
            c.getSpec().mq.mqtt = new dev.imcluster.operator.api.v1alpha1.MqSpec.MqttSpec();
            c.getSpec().mq.mqtt.url = "ssl://mqtt.example:8883";
        });
        await().atMost(TIMEOUT).until(() -> client.configMaps().inNamespace(ns).withName("quickstart-config").get() != null);
        assertThat(client.configMaps().inNamespace(ns).withName("quickstart-config").get().getData().get("broker.yaml"))
                .contains("url: ssl://mqtt.example:8883", "protocolVersion: 5");
        assertThat(client.apps().statefulSets().inNamespace(ns).withName("quickstart-mqtt").get()).isNull();

        Edits.edit(client.resources(PubSubCluster.class).inNamespace(ns).withName("quickstart"), c -> {
            c.getSpec().mq.mqtt.authSecretRef = new dev.imcluster.operator.api.v1alpha1.MqSpec.MqttAuth();
            c.getSpec().mq.mqtt.authSecretRef.name = "absent-mqtt";
            return c;
        });
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(java.util.Optional.ofNullable(client
                .resources(PubSubCluster.class).inNamespace(ns).withName("quickstart").get().getStatus())
                .map(s -> s.conditions).orElse(List.of())).anySatisfy(cond -> {
                    assertThat(cond.getType()).isEqualTo("SpecValid");
                    assertThat(cond.getStatus()).isEqualTo("False");
                    assertThat(cond.getMessage()).contains("spec.mq.mqtt.authSecretRef: Secret 'absent-mqtt' does not exist");
                }));
    }

    @Test
    void networkPoliciesComeAndGoWithTheOption() {
        String ns = "o-netpol";
        create(ns, "quickstart.yaml", c -> {
            c.getSpec().networkPolicy = new NetworkPolicySpec();
            c.getSpec().networkPolicy.enabled = true;
        });
        await().atMost(TIMEOUT).until(() ->
                client.network().v1().networkPolicies().inNamespace(ns).list().getItems().size() == 4);
        Edits.edit(client.resources(PubSubCluster.class).inNamespace(ns).withName("quickstart"), c -> {
            c.getSpec().networkPolicy.enabled = false;
            return c;
        });
        await().atMost(TIMEOUT).until(() ->
                client.network().v1().networkPolicies().inNamespace(ns).list().getItems().isEmpty());
    }

    @Test
    void serviceMonitorWhenTheCrdExistsAndNotWhenDisabled() {
        String ns = "o-sm";
        PubSubCluster created = create(ns, "quickstart.yaml", c -> { });
        await().atMost(TIMEOUT).until(() -> serviceMonitors(ns).size() == 1);
        GenericKubernetesResource sm = serviceMonitors(ns).get(0);
        assertThat(sm.getMetadata().getOwnerReferences().get(0).getUid()).isEqualTo(created.getMetadata().getUid());
        assertThat(client.apps().deployments().inNamespace(ns).withName("quickstart-comet").get().getSpec()
                .getTemplate().getMetadata().getAnnotations()).doesNotContainKey("prometheus.io/scrape");

        Edits.edit(client.resources(PubSubCluster.class).inNamespace(ns).withName("quickstart"), c -> {
            c.getSpec().metrics = new MetricsSpec();
            c.getSpec().metrics.serviceMonitor = MetricsSpec.ServiceMonitorMode.disabled;
            return c;
        });
        await().atMost(TIMEOUT).until(() -> serviceMonitors(ns).isEmpty());
        await().atMost(TIMEOUT).until(() -> client.apps().deployments().inNamespace(ns).withName("quickstart-comet")
                .get().getSpec().getTemplate().getMetadata().getAnnotations().containsKey("prometheus.io/scrape"));
    }

    @Test
    void operatorServesMetricsAndProbes() throws Exception {
        create("o-http", "quickstart.yaml", c -> { });
        HttpClient h = HttpClient.newHttpClient();
        await().atMost(TIMEOUT).untilAsserted(() -> {
            HttpResponse<String> metrics = h.send(HttpRequest.newBuilder(URI.create(http.url("/metrics"))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("operator_sdk_reconciliations")
                    .contains("imcluster_operator_reconciles_total")
                    // one reconcile-time histogram for the controller, not one per cluster
                    .contains("operator_sdk_controllers_execution_reconcile_seconds_count{controller=\"pubsubcluster\"}")
                    .doesNotContainPattern("operator_sdk_controllers_execution_reconcile_seconds_bucket\\{[^}]*name=");
        });
        // The same registry setup as the operator process: promtool finds nothing to complain about.
        Promtool.assumeAvailable();
        String body = h.send(HttpRequest.newBuilder(URI.create(http.url("/metrics"))).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(body).contains("process_cpu_seconds_total").contains("system_cpus");
        assertThat(Promtool.checkMetrics(body)).isEmpty();
        assertThat(h.send(HttpRequest.newBuilder(URI.create(http.url("/healthz"))).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        assertThat(h.send(HttpRequest.newBuilder(URI.create(http.url("/readyz"))).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }
}
