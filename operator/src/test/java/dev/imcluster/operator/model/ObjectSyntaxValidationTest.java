package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PodTemplateOverrides;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.testing.Examples;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SpecValidation's checks of the values that pass into owned objects, and the name limits. The hostile corpus
 * (HostileCorpusTest) runs the same rules through the operator; these pin the edges.
 */
class ObjectSyntaxValidationTest {

    private static PubSubCluster named(String name) {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getMetadata().setName(name);
        return c;
    }

    @Test
    void theLongestAcceptedNameMakesEveryDerivedNameFit() {
        assertThat(Names.MAX_CLUSTER_NAME).isEqualTo(46);
        PubSubCluster longest = named("a".repeat(Names.MAX_CLUSTER_NAME));
        assertThat(SpecValidation.problems(longest)).isEmpty();
        for (String suffix : Names.SUFFIXES) {
            assertThat(KubeSyntax.isDns1035Label(longest.getMetadata().getName() + suffix)).as(suffix).isTrue();
        }
        assertThat(Names.redis(longest).length() + 11).as("StatefulSet pods' controller-revision-hash label")
                .isLessThanOrEqualTo(KubeSyntax.DNS_LABEL_MAX);
        assertThat(SpecValidation.problems(named("a".repeat(Names.MAX_CLUSTER_NAME + 1))))
                .singleElement().asString().contains("at most 46 fit");
    }

    /** Every name Names derives (each public one-cluster method) ends in one of the suffixes the limit is made of. */
    @Test
    void theSuffixListCoversEveryDerivedName() throws Exception {
        PubSubCluster c = named("x");
        for (Method m : Names.class.getDeclaredMethods()) {
            if (!Modifier.isPublic(m.getModifiers()) || m.getParameterCount() != 1 || m.getName().equals("serviceMonitor")) {
                continue;
            }
            String derived = (String) m.invoke(null, c);
            assertThat(Names.SUFFIXES).as(m.getName()).anyMatch(s -> derived.equals("x" + s));
        }
        for (Role role : Role.values()) {
            assertThat(Names.SUFFIXES).contains("-" + role.id());
        }
    }

    @Test
    void namesThatCannotNameServicesAreRefused() {
        assertThat(SpecValidation.problems(named("a.b"))).singleElement().asString().contains("DNS-1035");
        assertThat(SpecValidation.problems(named("9lives"))).singleElement().asString().contains("DNS-1035");
        assertThat(SpecValidation.problems(named("ok-name-9"))).isEmpty();
    }

    @Test
    void quantitiesFollowTheApiServersGrammar() {
        for (String ok : new String[] {"1", "500m", "1.5", "1Gi", "128974848", "129e6", "129M", ".5", "1e3"}) {
            assertThat(KubeSyntax.isQuantity(ok)).as(ok).isTrue();
        }
        for (String bad : new String[] {"lots", "1.5.5", "1Zi", "", "1 Gi", "Gi", "1GiB"}) {
            assertThat(KubeSyntax.isQuantity(bad)).as(bad).isFalse();
        }
        PubSubCluster c = named("q");
        c.getSpec().logic.resources = new ResourceRequirements();
        c.getSpec().logic.resources.setRequests(Map.of("cpu", new Quantity("250m"), "memory", new Quantity("1Gi")));
        c.getSpec().logic.resources.setLimits(Map.of("cpu", new Quantity("1"), "memory", new Quantity("1024Mi"),
                "example.com/fpga", new Quantity("1"), "hugepages-2Mi", new Quantity("64Mi")));
        assertThat(SpecValidation.problems(c)).isEmpty();
        c.getSpec().logic.resources.setLimits(Map.of("memory", new Quantity("1000Mi")));
        assertThat(SpecValidation.problems(c)).containsExactly(
                "spec.logic.resources.requests.memory (1Gi) exceeds spec.logic.resources.limits.memory (1000Mi)");
    }

    @Test
    void labelsAndAnnotationsFollowTheApiServersRules() {
        assertThat(KubeSyntax.isQualifiedName("example.com/team")).isTrue();
        assertThat(KubeSyntax.isQualifiedName("Team_1.x")).isTrue();
        assertThat(KubeSyntax.isQualifiedName("a/b/c")).isFalse();
        assertThat(KubeSyntax.isQualifiedName("EXAMPLE.com/x")).isFalse();
        assertThat(KubeSyntax.isQualifiedName("x".repeat(64))).isFalse();
        assertThat(KubeSyntax.isLabelValue("")).isTrue();
        assertThat(KubeSyntax.isLabelValue("v1.2_3-x")).isTrue();
        assertThat(KubeSyntax.isLabelValue("-x")).isFalse();

        PubSubCluster c = named("l");
        c.getSpec().comet.podTemplate = new PodTemplateOverrides();
        Map<String, String> huge = new HashMap<>();
        for (int i = 0; i < 5; i++) {
            huge.put("example.com/blob-" + i, "x".repeat(60_000));
        }
        c.getSpec().comet.podTemplate.annotations = huge;
        assertThat(SpecValidation.problems(c)).singleElement().asString()
                .startsWith("spec.comet.podTemplate.annotations total 300090 bytes");
    }

    @Test
    void placementIsCheckedAndAValidOneAccepted() {
        assertThat(SpecValidation.problems(Examples.load("production.yaml"))).isEmpty();   // anti-affinity and spread
        PubSubCluster c = named("p");
        c.getSpec().job.podTemplate = new PodTemplateOverrides();
        c.getSpec().job.podTemplate.affinity = new io.fabric8.kubernetes.api.model.AffinityBuilder()
                .withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
                    .addNewNodeSelectorTerm().addNewMatchExpression().withKey("cores").withOperator("Gt")
                    .withValues("four").endMatchExpression().endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity()
                .withNewPodAffinity().addNewRequiredDuringSchedulingIgnoredDuringExecution()
                    .withTopologyKey("kubernetes.io/hostname").withNewLabelSelector()
                    .addNewMatchExpression().withKey("app").withOperator("Exists").withValues("x").endMatchExpression()
                    .endLabelSelector().endRequiredDuringSchedulingIgnoredDuringExecution()
                .endPodAffinity().build();
        assertThat(SpecValidation.problems(c)).containsExactly(
                "spec.job.podTemplate.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
                        + ".nodeSelectorTerms[0].matchExpressions[0].values must be one integer for operator Gt",
                "spec.job.podTemplate.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
                        + ".labelSelector.matchExpressions[0].values must be empty for operator Exists");
    }

    @Test
    void quotedUserValuesAreShortened() {
        PubSubCluster c = named("s");
        c.getSpec().comet.podTemplate = new PodTemplateOverrides();
        c.getSpec().comet.podTemplate.labels = Map.of("team", "a b".repeat(1000));
        assertThat(SpecValidation.problems(c)).singleElement().asString().hasSizeLessThan(300);
    }
}
