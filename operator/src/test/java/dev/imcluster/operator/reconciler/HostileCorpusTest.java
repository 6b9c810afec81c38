package dev.imcluster.operator.reconciler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imcluster.operator.ImclusterOperator;
import dev.imcluster.operator.OperatorSettings;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.testing.Edits;
import dev.imcluster.operator.testing.Examples;
import dev.imcluster.operator.testing.MockClusterObjects;
import dev.imcluster.operator.testing.HostileCorpus;
import dev.imcluster.operator.testing.SchemaValidator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The hostile corpus (e2e/hostile/) against the operator on the fabric8 mock API server (CRUD mode, SSA off). The
 * mock validates no schema, so the schema half is checked with the CRD's own openAPIV3Schema (e2e checks it on a real
 * API server); every case the schema lets through must be flagged SpecValid=False, create nothing, leave a healthy
 * cluster beside it alone, and, applied as an edit to a running cluster, keep that cluster's objects as they were.
 */
@EnableKubernetesMockClient(crud = true)
class HostileCorpusTest {
    static final Duration TIMEOUT = Duration.ofSeconds(90);
    static KubernetesClient client;
    static Operator operator;

    @BeforeAll
    static void startOperator() {
        var crd = client.apiextensions().v1().customResourceDefinitions()
                .load(Examples.repoRoot().resolve("crds/pubsubclusters.pubsub.imcluster.dev-v1.yml").toFile()).item();
        if (client.resource(crd).get() == null) {   // a rerun of this class shares the mock server
            client.resource(crd).create();
        }
        operator = ImclusterOperator.create(client, OperatorSettings.forTests(Set.of()), new SimpleMeterRegistry(),
                ApiCapabilities::current);
        operator.start();
    }

    @AfterAll
    static void stopOperator() {
        operator.stop();
    }

    static List<HostileCorpus.Case> rejected() {
        return HostileCorpus.cases(HostileCorpus.Expect.rejected);
    }

    static List<HostileCorpus.Case> invalid() {
        return HostileCorpus.cases(HostileCorpus.Expect.invalid);
    }

    @Test
    void theCorpusHasAtLeastFiftyCasesOfBothKinds() {
        assertThat(HostileCorpus.cases()).hasSizeGreaterThanOrEqualTo(50);
        assertThat(rejected()).hasSizeGreaterThanOrEqualTo(20);
        assertThat(invalid()).hasSizeGreaterThanOrEqualTo(20);
        assertThat(HostileCorpus.cases()).allSatisfy(c -> assertThat(c.match()).as(c.file()).isNotBlank());
    }

    @ParameterizedTest
    @MethodSource("rejected")
    void theSchemaRejects(HostileCorpus.Case c) {
        assertThat(SchemaValidator.validate(schema(), specOf(c)))
                .as("schema errors of " + c).anySatisfy(e -> assertThat(e).contains(c.match()));
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void theSchemaAcceptsWhatOnlyTheOperatorCanJudge(HostileCorpus.Case c) {
        assertThat(SchemaValidator.validate(schema(), specOf(c))).as(c.toString()).isEmpty();
    }

    @Test
    void invalidClustersAreFlaggedOwnNothingAndLeaveAHealthyClusterAlone() {
        String ns = "hostile";
        setupSecrets(ns);
        PubSubCluster healthy = Examples.load("quickstart.yaml");
        healthy.getMetadata().setNamespace(ns);
        healthy.getMetadata().setUid(null);
        client.resource(healthy).create();
        await().atMost(TIMEOUT).until(() -> owned(ns, "quickstart").size() >= 15
                && conditionIs(cluster(ns, "quickstart").get(), "SpecValid", "True"));
        Map<String, String> before = owned(ns, "quickstart");
        Deployment foreign = client.apps().deployments().inNamespace(ns).withName("h-taken-job").get();

        List<String> uids = new ArrayList<>();
        for (HostileCorpus.Case c : invalid()) {
            PubSubCluster p = parse(c);
            p.getMetadata().setNamespace(ns);
            uids.add(client.resource(p).create().getMetadata().getUid());
        }
        for (HostileCorpus.Case c : invalid()) {
            String name = parse(c).getMetadata().getName();
            await().atMost(TIMEOUT).untilAsserted(() -> {
                Condition valid = condition(cluster(ns, name).get(), "SpecValid");
                assertThat(valid).as(c.toString()).isNotNull();
                assertThat(valid.getStatus()).as(c.toString()).isEqualTo("False");
                assertThat(valid.getMessage()).as(c.toString()).contains(c.match());
                assertThat(cluster(ns, name).get().getStatus().phase).isEqualTo("Invalid");
            });
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(client.v1().events().inNamespace(ns).list()
                    .getItems()).as("a Warning event for " + c).anySatisfy(e -> {
                        assertThat(e.getInvolvedObject().getName()).isEqualTo(name);
                        assertThat(e.getReason()).isEqualTo("InvalidSpec");
                        assertThat(e.getType()).isEqualTo("Warning");
                    }));
        }
        assertThat(allObjects(ns)).as("objects owned by an invalid cluster").noneMatch(o ->
                o.getMetadata().getOwnerReferences().stream().anyMatch(r -> uids.contains(r.getUid())));
        assertThat(owned(ns, "quickstart")).as("the healthy cluster's objects").isEqualTo(before);
        Deployment foreignAfter = client.apps().deployments().inNamespace(ns).withName("h-taken-job").get();
        assertThat(foreignAfter.getMetadata().getResourceVersion()).as("someone else's Deployment is not taken over")
                .isEqualTo(foreign.getMetadata().getResourceVersion());
        assertThat(foreignAfter.getMetadata().getOwnerReferences()).isNullOrEmpty();
        var foreignConfig = client.configMaps().inNamespace(ns).withName("h-taken-config").get();
        assertThat(foreignConfig.getData()).containsOnlyKeys("owner");
        assertThat(foreignConfig.getMetadata().getOwnerReferences()).isNullOrEmpty();

        // The operator still works: the healthy cluster takes an edit.
        Edits.edit(cluster(ns, "quickstart"), p -> {
            p.getSpec().comet.replicas = 2;
            return p;
        });
        await().atMost(TIMEOUT).until(() -> client.apps().deployments().inNamespace(ns).withName("quickstart-comet")
                .get().getSpec().getReplicas() == 2);
    }

    @Test
    void aRunningClusterEditedIntoAnyInvalidSpecKeepsItsLastGoodObjects() {
        String ns = "hostile-edit";
        setupSecrets(ns);
        PubSubCluster good = Examples.load("quickstart.yaml");
        good.getMetadata().setNamespace(ns);
        good.getMetadata().setUid(null);
        client.resource(good).create();
        await().atMost(TIMEOUT).until(() -> owned(ns, "quickstart").size() >= 15
                && conditionIs(cluster(ns, "quickstart").get(), "SpecValid", "True"));
        Map<String, String> before = owned(ns, "quickstart");

        List<HostileCorpus.Case> specCases = invalid().stream().filter(c -> !c.aboutName()).toList();
        assertThat(specCases).hasSizeGreaterThanOrEqualTo(20);
        for (HostileCorpus.Case c : specCases) {
            PubSubCluster edited = Edits.edit(cluster(ns, "quickstart"), p -> {
                p.setSpec(parse(c).getSpec());
                return p;
            });
            long generation = edited.getMetadata().getGeneration();
            await().atMost(TIMEOUT).untilAsserted(() -> {
                PubSubCluster now = cluster(ns, "quickstart").get();
                assertThat(now.getStatus().observedGeneration).as(c.toString()).isGreaterThanOrEqualTo(generation);
                assertThat(condition(now, "SpecValid").getStatus()).as(c.toString()).isEqualTo("False");
                assertThat(condition(now, "SpecValid").getMessage()).as(c.toString()).contains(c.match());
            });
            assertThat(owned(ns, "quickstart")).as("objects after " + c).isEqualTo(before);
        }

        Edits.edit(cluster(ns, "quickstart"), p -> {
            p.setSpec(good.getSpec());
            return p;
        });
        await().atMost(TIMEOUT).until(() -> conditionIs(cluster(ns, "quickstart").get(), "SpecValid", "True"));
    }

    // ---- helpers ----

    private static JsonNode schema() {
        try {
            return Examples.STRICT.readTree(Examples.repoRoot().resolve("crds/pubsubclusters.pubsub.imcluster.dev-v1.yml")
                    .toFile()).at("/spec/versions/0/schema/openAPIV3Schema");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The document as the schema sees it: the API server checks metadata itself. */
    private static JsonNode specOf(HostileCorpus.Case c) {
        try {
            ObjectNode doc = (ObjectNode) Examples.STRICT.readTree(c.yaml());
            doc.remove(List.of("apiVersion", "kind", "metadata"));
            return doc;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static PubSubCluster parse(HostileCorpus.Case c) {
        try {
            return Examples.STRICT.readValue(c.yaml(), PubSubCluster.class);
        } catch (IOException e) {
            throw new UncheckedIOException(c.file(), e);
        }
    }

    private static void setupSecrets(String ns) {
        try (var in = Files.newInputStream(HostileCorpus.dir().resolve("setup.yaml"))) {
            client.load(in).inNamespace(ns).create();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Resource<PubSubCluster> cluster(String ns, String name) {
        return client.resources(PubSubCluster.class).inNamespace(ns).withName(name);
    }

    private static Condition condition(PubSubCluster c, String type) {
        if (c == null || c.getStatus() == null || c.getStatus().conditions == null) {
            return null;
        }
        return c.getStatus().conditions.stream().filter(x -> type.equals(x.getType())).findFirst().orElse(null);
    }

    private static boolean conditionIs(PubSubCluster c, String type, String status) {
        Condition x = condition(c, type);
        return x != null && status.equals(x.getStatus());
    }

    private static List<HasMetadata> allObjects(String ns) {
        return MockClusterObjects.ownedKinds(client, ns);
    }

    /** kind/name -> resourceVersion of the objects a cluster owns (by name prefix and owner reference). */
    private static Map<String, String> owned(String ns, String name) {
        Map<String, String> m = new TreeMap<>();
        for (HasMetadata o : allObjects(ns)) {
            if (o.getMetadata().getOwnerReferences().stream().anyMatch(r -> name.equals(r.getName()))) {
                m.put(o.getKind() + "/" + o.getMetadata().getName(), o.getMetadata().getResourceVersion());
            }
        }
        return m;
    }
}
