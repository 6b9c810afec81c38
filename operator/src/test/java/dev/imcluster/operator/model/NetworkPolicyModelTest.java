package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.NetworkPolicySpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.testing.Examples;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import org.junit.jupiter.api.Test;

import java.util.Collection;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The generated NetworkPolicies, evaluated with the NetworkPolicy semantics (a pod selected by a policy accepts only
 * what one of its rules allows; a peer's pod selector without a namespace selector means the policy's namespace)
 * over every pair of source and destination port: the matrix the issue asks for.
 */
class NetworkPolicyModelTest {
    static final String NS = "demo";

    /** A pod somewhere: namespace and labels. */
    record Pod(String namespace, Map<String, String> labels) {
    }

    static final PubSubCluster C = withPolicies(Examples.load("nats.yaml"));
    static final Pod COMET = pod("comet");
    static final Pod LOGIC = pod("logic");
    static final Pod JOB = pod("job");
    static final Pod REDIS = pod("redis");
    static final Pod NATS = pod("nats");
    static final Pod CLIENT = new Pod("elsewhere", Map.of("app", "mobile-gateway"));
    static final Pod APP_IN_NAMESPACE = new Pod(NS, Map.of("app", "my-backend"));
    static final Pod OTHER_CLUSTER_JOB = new Pod(NS, Map.of(Labels.NAME, Labels.APP, Labels.INSTANCE, "other",
            Labels.COMPONENT, "job"));

    @Test
    void clientsReachCometsClientPortsOnly() {
        Collection<NetworkPolicy> p = NetworkPolicyModel.desired(C).values();
        for (int port : new int[] {Ports.COMET_TCP, Ports.COMET_WS, Ports.COMET_PUBSUB_GRPC}) {
            assertThat(allowed(p, CLIENT, COMET, port)).as("client -> comet:" + port).isTrue();
        }
        assertThat(allowed(p, CLIENT, COMET, Ports.COMET_GRPC)).isFalse();
        assertThat(allowed(p, CLIENT, LOGIC, Ports.LOGIC_GRPC)).isFalse();
        assertThat(allowed(p, CLIENT, LOGIC, Ports.LOGIC_HTTP)).isFalse();
        assertThat(allowed(p, CLIENT, REDIS, Ports.REDIS)).isFalse();
        assertThat(allowed(p, CLIENT, NATS, Ports.NATS)).isFalse();
    }

    @Test
    void onlyCometReachesLogicsGrpc() {
        Collection<NetworkPolicy> p = NetworkPolicyModel.desired(C).values();
        assertThat(allowed(p, COMET, LOGIC, Ports.LOGIC_GRPC)).isTrue();
        for (Pod other : List.of(JOB, LOGIC, REDIS, NATS, CLIENT, APP_IN_NAMESPACE, OTHER_CLUSTER_JOB)) {
            assertThat(allowed(p, other, LOGIC, Ports.LOGIC_GRPC)).as(other + " -> logic grpc").isFalse();
        }
    }

    @Test
    void onlyJobReachesCometsInternalPort() {
        Collection<NetworkPolicy> p = NetworkPolicyModel.desired(C).values();
        assertThat(allowed(p, JOB, COMET, Ports.COMET_GRPC)).isTrue();
        for (Pod other : List.of(COMET, LOGIC, REDIS, NATS, CLIENT, APP_IN_NAMESPACE, OTHER_CLUSTER_JOB)) {
            assertThat(allowed(p, other, COMET, Ports.COMET_GRPC)).as(other + " -> comet internal").isFalse();
        }
    }

    @Test
    void onlyLogicAndJobReachTheBackends() {
        Collection<NetworkPolicy> p = NetworkPolicyModel.desired(C).values();
        assertThat(NetworkPolicyModel.desired(C)).containsOnlyKeys("comet", "logic", "job", "redis", "nats");
        for (Pod allowed : List.of(LOGIC, JOB)) {
            assertThat(allowed(p, allowed, REDIS, Ports.REDIS)).isTrue();
            assertThat(allowed(p, allowed, NATS, Ports.NATS)).isTrue();
        }
        for (Pod other : List.of(COMET, CLIENT, APP_IN_NAMESPACE, OTHER_CLUSTER_JOB)) {
            assertThat(allowed(p, other, REDIS, Ports.REDIS)).as(other + " -> redis").isFalse();
            assertThat(allowed(p, other, NATS, Ports.NATS)).as(other + " -> nats").isFalse();
        }
        for (Pod any : List.of(COMET, LOGIC, CLIENT)) {
            assertThat(allowed(p, any, JOB, Ports.ADMIN)).as("scrapers reach job's admin port").isTrue();
            assertThat(allowed(p, any, JOB, Ports.COMET_GRPC)).as("nothing else reaches job").isFalse();
        }
    }

    @Test
    void thePushApiAcceptsTheNamespaceByDefaultAndPushFromWhenSet() {
        Collection<NetworkPolicy> p = NetworkPolicyModel.desired(C).values();
        assertThat(allowed(p, APP_IN_NAMESPACE, LOGIC, Ports.LOGIC_HTTP)).isTrue();
        assertThat(allowed(p, CLIENT, LOGIC, Ports.LOGIC_HTTP)).isFalse();

        PubSubCluster custom = Examples.copy(C);
        custom.getSpec().networkPolicy.pushFrom = List.of(new NetworkPolicyPeerBuilder()
                .withNewNamespaceSelector().addToMatchLabels("kubernetes.io/metadata.name", "elsewhere")
                .endNamespaceSelector()
                .withNewPodSelector().addToMatchLabels("app", "mobile-gateway").endPodSelector().build());
        Collection<NetworkPolicy> q = NetworkPolicyModel.desired(custom).values();
        assertThat(allowed(q, CLIENT, LOGIC, Ports.LOGIC_HTTP)).isTrue();
        assertThat(allowed(q, APP_IN_NAMESPACE, LOGIC, Ports.LOGIC_HTTP)).isFalse();
        assertThat(allowed(q, CLIENT, LOGIC, Ports.LOGIC_GRPC)).isFalse();
    }

    @Test
    void everyPolicySelectsItsOwnComponentOnlyAndIsOwnedLikeTheRest() {
        NetworkPolicyModel.desired(C).forEach((component, np) -> {
            assertThat(np.getMetadata().getName()).isEqualTo(C.getMetadata().getName() + "-" + component);
            assertThat(np.getSpec().getPodSelector().getMatchLabels()).isEqualTo(Labels.selector(C, component));
            assertThat(np.getSpec().getPolicyTypes()).containsExactly("Ingress");
            assertThat(np.getMetadata().getLabels()).containsEntry(Labels.MANAGED_BY, Labels.OPERATOR);
        });
    }

    // ---- NetworkPolicy semantics (matchLabels only: the model uses no expressions) ----

    static boolean allowed(Collection<NetworkPolicy> policies, Pod from, Pod to, int port) {
        List<NetworkPolicy> selecting = policies.stream()
                .filter(np -> np.getMetadata().getNamespace().equals(to.namespace())
                        && matches(np.getSpec().getPodSelector(), to.labels()))
                .toList();
        if (selecting.isEmpty()) {
            return true;   // not isolated
        }
        return selecting.stream().anyMatch(np -> np.getSpec().getIngress().stream()
                .anyMatch(rule -> portMatches(rule, port) && fromMatches(rule, from, np.getMetadata().getNamespace())));
    }

    private static boolean portMatches(NetworkPolicyIngressRule rule, int port) {
        return rule.getPorts() == null || rule.getPorts().isEmpty()
                || rule.getPorts().stream().anyMatch(p -> p.getPort().getIntVal() == port);
    }

    private static boolean fromMatches(NetworkPolicyIngressRule rule, Pod from, String policyNamespace) {
        if (rule.getFrom() == null || rule.getFrom().isEmpty()) {
            return true;
        }
        return rule.getFrom().stream().anyMatch(peer -> peerMatches(peer, from, policyNamespace));
    }

    private static boolean peerMatches(NetworkPolicyPeer peer, Pod from, String policyNamespace) {
        if (peer.getIpBlock() != null) {
            return false;   // the model never uses ipBlocks; pods are not addressed by IP here
        }
        boolean namespaceOk = peer.getNamespaceSelector() == null ? from.namespace().equals(policyNamespace)
                : matches(peer.getNamespaceSelector(), Map.of("kubernetes.io/metadata.name", from.namespace()));
        boolean podOk = peer.getPodSelector() == null || matches(peer.getPodSelector(), from.labels());
        return namespaceOk && podOk;
    }

    private static boolean matches(LabelSelector s, Map<String, String> labels) {
        assertThat(s.getMatchExpressions()).as("the evaluator handles matchLabels only").isNullOrEmpty();
        return s.getMatchLabels() == null
                || s.getMatchLabels().entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }

    private static Pod pod(String component) {
        return new Pod(NS, Labels.all(C, component));
    }

    private static PubSubCluster withPolicies(PubSubCluster c) {
        c.getSpec().networkPolicy = new NetworkPolicySpec();
        c.getSpec().networkPolicy.enabled = true;
        c.getMetadata().setNamespace(NS);
        return c;
    }
}
