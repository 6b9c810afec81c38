package dev.imcluster.nodeagent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Binding;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the agent writes to the API: the node and its Lease, bindings, pod status (a mock API server, crud mode). */
@EnableKubernetesMockClient(crud = true)
class ApiTest {
    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    @Test
    void registersAReadyNodeAndRenewsItsLease() {
        NodeHeartbeat heartbeat = new NodeHeartbeat(client, "node-a");
        heartbeat.register();
        Node node = client.nodes().withName("node-a").get();
        assertThat(node.getMetadata().getLabels()).containsEntry("imcluster.dev/local-node-agent", "true");
        assertThat(node.getStatus().getConditions()).anyMatch(c -> c.getType().equals("Ready")
                && c.getStatus().equals("True"));
        assertThat(node.getStatus().getCapacity()).containsKeys("cpu", "memory", "pods");
        Lease lease = client.leases().inNamespace("kube-node-lease").withName("node-a").get();
        assertThat(lease.getSpec().getHolderIdentity()).isEqualTo("node-a");
        assertThat(lease.getSpec().getRenewTime()).isNotNull();

        heartbeat.beat(); // an existing node and Lease are patched
        assertThat(client.leases().inNamespace("kube-node-lease").list().getItems()).hasSize(1);
    }

    @Test
    void bindsPendingPodsOnceAndLeavesDeletingOnesAlone() {
        PodSync sync = new PodSync(client, new PodRunner.Context(client, "node-a", dir, new IpPool("127.0.0."),
                new LocalCommand(dir.resolve("hosts"), dir.resolve("broker.jar"), List.of())));
        Pod pending = pod("p-1", "u-1");
        Pod deleting = new PodBuilder(pod("p-2", "u-2")).editMetadata().withDeletionTimestamp("2026-01-01T00:00:00Z")
                .endMetadata().build();
        sync.sync(List.of(pending, deleting));
        Binding binding = client.bindings().inNamespace("ns").withName("p-1").get();
        assertThat(binding.getTarget().getName()).isEqualTo("node-a");
        assertThat(client.bindings().inNamespace("ns").withName("p-2").get()).isNull();

        int requests = server.getRequestCount();
        sync.sync(List.of(pending)); // the informer has not shown the binding yet: no second one
        assertThat(server.getRequestCount()).isEqualTo(requests);
    }

    @Test
    void reportsStatusOnChangeOnlyAndKeepsUnchangedConditions() {
        client.pods().inNamespace("ns").resource(pod("p-1", "u-1")).create();
        PodStatusReporter reporter = new PodStatusReporter(client, "ns", "p-1", "127.0.0.10");
        PodStatusReporter.ContainerState running = new PodStatusReporter.ContainerState("broker", "img", 42L, true,
                true, 0, "2026-01-01T00:00:00Z", null, Map.of());
        reporter.report(running);
        Pod pod = client.pods().inNamespace("ns").withName("p-1").get();
        assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
        assertThat(pod.getStatus().getPodIP()).isEqualTo("127.0.0.10");
        assertThat(ready(pod)).isEqualTo("True");
        assertThat(pod.getStatus().getContainerStatuses().get(0).getContainerID()).isEqualTo("local://42");
        assertThat(pod.getStatus().getContainerStatuses().get(0).getState().getRunning()).isNotNull();

        int requests = server.getRequestCount();
        reporter.report(running);
        assertThat(server.getRequestCount()).isEqualTo(requests);

    }

    @Test
    void aChangeOfReadinessSendsTheConditionsAndOtherChangesLeaveThemAlone() {
        PodStatusReporter reporter = new PodStatusReporter(client, "ns", "p-1", "127.0.0.10");
        PodStatusReporter.Change first = reporter.change(new PodStatusReporter.ContainerState("broker", "img", 42L,
                true, true, 0, "2026-01-01T00:00:00Z", null, Map.of()));
        assertThat(first.status()).containsKey("conditions");
        reporter.sent(first);

        PodStatusReporter.Change crashed = reporter.change(new PodStatusReporter.ContainerState("broker", "img", 42L,
                false, true, 1, "2026-01-01T00:00:00Z", Map.of("reason", "CrashLoopBackOff"), Map.of()));
        JsonNode sent = new ObjectMapper().valueToTree(crashed.status());
        assertThat(sent.at("/conditions/1/type").asText()).isEqualTo("Ready");
        assertThat(sent.at("/conditions/1/status").asText()).isEqualTo("False");
        assertThat(sent.at("/containerStatuses/0/ready").asBoolean()).isFalse();
        assertThat(sent.at("/containerStatuses/0/restartCount").asInt()).isEqualTo(1);
        assertThat(sent.at("/containerStatuses/0/state/waiting/reason").asText()).isEqualTo("CrashLoopBackOff");
        reporter.sent(crashed);

        // A new restart count, readiness unchanged: the conditions (and their transition times) are left alone.
        PodStatusReporter.Change again = reporter.change(new PodStatusReporter.ContainerState("broker", "img", 42L,
                false, true, 2, "2026-01-01T00:00:00Z", Map.of("reason", "CrashLoopBackOff"), Map.of()));
        assertThat(again.status()).doesNotContainKey("conditions");
        reporter.sent(again);
        assertThat(reporter.change(new PodStatusReporter.ContainerState("broker", "img", 42L,
                false, true, 2, "2026-01-01T00:00:00Z", Map.of("reason", "CrashLoopBackOff"), Map.of()))).isNull();
    }

    @Test
    void aContainerNotStartedYetIsPendingAndCreating() {
        PodStatusReporter reporter = new PodStatusReporter(client, "ns", "p-1", "127.0.0.10");
        Map<String, Object> status = reporter.status(new PodStatusReporter.ContainerState("broker", "img", null,
                false, false, 0, null, null, Map.of()));
        assertThat(status).containsEntry("phase", "Pending");
        assertThat(PodStatusReporter.json(status)).contains("\"waiting\":{\"reason\":\"ContainerCreating\"}")
                .contains("\"containerID\":null");
    }

    private static String ready(Pod pod) {
        return pod.getStatus().getConditions().stream().filter(c -> c.getType().equals("Ready"))
                .map(PodCondition::getStatus).findFirst().orElseThrow();
    }

    static Pod pod(String name, String uid) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("ns").withUid(uid)
                .addToLabels(NodeAgent.MANAGED_BY, NodeAgent.OPERATOR).endMetadata()
                .withNewSpec().addNewContainer().withName("broker").withImage("imcluster/broker").endContainer()
                .endSpec().build();
    }
}
