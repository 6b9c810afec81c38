package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.ImclusterOperator;
import dev.imcluster.operator.OperatorSettings;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.testing.Edits;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.model.OperatorConfig;
import dev.imcluster.operator.testing.Examples;
import dev.imcluster.operator.testing.MockClusterObjects;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A restarted operator finds everything in shape and writes nothing; settings reach JOSDK's configuration. */
@EnableKubernetesMockClient(crud = true)
class OperatorRestartTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    KubernetesClient client;

    private Map<String, String> versions(String ns) {
        List<HasMetadata> all = new ArrayList<>(MockClusterObjects.ownedKinds(client, ns));
        all.add(client.resources(PubSubCluster.class).inNamespace(ns).withName("quickstart").get());
        Map<String, String> m = new HashMap<>();
        all.forEach(o -> m.put(o.getKind() + "/" + o.getMetadata().getName(), o.getMetadata().getResourceVersion()));
        return m;
    }

    private static double successes(SimpleMeterRegistry registry) {
        return registry.find("operator.sdk.reconciliations.success").counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    @Test
    void restartedOperatorWritesNothing() {
        client.apiextensions().v1().customResourceDefinitions()
                .load(Examples.repoRoot().resolve("crds/pubsubclusters.pubsub.imcluster.dev-v1.yml").toFile()).create();
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getMetadata().setNamespace("r");
        c.getMetadata().setUid(null);
        c.getMetadata().setGeneration(null);
        client.resource(c).create();

        SimpleMeterRegistry first = new SimpleMeterRegistry();
        Operator one = ImclusterOperator.create(client, OperatorSettings.forTests(Set.of("r")), first,
                ApiCapabilities::current);
        one.start();
        await().atMost(TIMEOUT).until(() -> {
            PubSubCluster now = client.resources(PubSubCluster.class).inNamespace("r").withName("quickstart").get();
            return now.getStatus() != null && versions("r").size() == 17; // 16 owned objects + the cluster
        });
        // Settled: a reconciliation (for example after an unrelated metadata change) writes nothing.
        double before = successes(first);
        Map<String, String> settled = versions("r");
        Edits.edit(client.resources(PubSubCluster.class).inNamespace("r").withName("quickstart"), x -> {
            x.getMetadata().getAnnotations().put("note", "hello");
            return x;
        });
        await().atMost(TIMEOUT).until(() -> successes(first) > before);
        settled.remove("PubSubCluster/quickstart");
        Map<String, String> afterNoop = versions("r");
        afterNoop.remove("PubSubCluster/quickstart");
        assertThat(afterNoop).isEqualTo(settled);
        one.stop();

        Map<String, String> atStop = versions("r");
        SimpleMeterRegistry second = new SimpleMeterRegistry();
        Operator two = ImclusterOperator.create(client, OperatorSettings.forTests(Set.of("r")), second,
                ApiCapabilities::current);
        two.start();
        try {
            await().atMost(TIMEOUT).until(() -> successes(second) >= 1);
            assertThat(versions("r")).isEqualTo(atStop);
        } finally {
            two.stop();
        }
    }

    @Test
    void settingsReachJosdk() {
        OperatorSettings prod = new OperatorSettings(Set.of(), true, true, "lease-x", "ops", 0, 3,
                Duration.ofMinutes(5), OperatorConfig.defaults());
        Operator op = ImclusterOperator.create(client, prod, new SimpleMeterRegistry(), ApiCapabilities::current);
        var config = op.getConfigurationService();
        assertThat(config.ssaBasedCreateUpdateMatchForDependentResources()).isTrue();
        assertThat(config.useSSAToPatchPrimaryResource()).isTrue();
        assertThat(config.getLeaderElectionConfiguration()).hasValueSatisfying(le -> {
            assertThat(le.getLeaseName()).isEqualTo("lease-x");
            assertThat(le.getLeaseNamespace()).hasValue("ops");
        });
        assertThat(config.concurrentReconciliationThreads()).isEqualTo(3);

        Operator test = ImclusterOperator.create(client, OperatorSettings.forTests(Set.of()), new SimpleMeterRegistry(),
                ApiCapabilities::current);
        assertThat(test.getConfigurationService().ssaBasedCreateUpdateMatchForDependentResources()).isFalse();
        assertThat(test.getConfigurationService().useSSAToPatchPrimaryResource()).isFalse();
        assertThat(test.getConfigurationService().getLeaderElectionConfiguration()).isEmpty();
    }
}
