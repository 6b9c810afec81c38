package dev.imcluster.nodeagent;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostsFileTest {
    @TempDir
    Path dir;

    static Pod pod(String name, String ip, Map<String, String> labels, boolean ready, String hostname, boolean deleting) {
        return new PodBuilder()
                .withNewMetadata().withName(name).withNamespace("ns").withLabels(labels)
                .withDeletionTimestamp(deleting ? "2026-01-01T00:00:00Z" : null).endMetadata()
                .withNewSpec().withHostname(hostname).endSpec()
                .withNewStatus().withPodIP(ip).addNewCondition().withType("Ready")
                .withStatus(ready ? "True" : "False").endCondition().endStatus()
                .build();
    }

    static Pod pod(String name, String ip, Map<String, String> labels) {
        return pod(name, ip, labels, true, null, false);
    }

    static Service service(String name, Map<String, String> selector, boolean headless, boolean publishNotReady) {
        return new ServiceBuilder().withNewMetadata().withName(name).withNamespace("ns").endMetadata()
                .withNewSpec().withSelector(selector).withClusterIP(headless ? "None" : "10.96.0.10")
                .withPublishNotReadyAddresses(publishNotReady ? Boolean.TRUE : null).endSpec()
                .build();
    }

    List<String> render(List<Service> services, List<Pod> pods) {
        return new HostsFile(dir.resolve("hosts"), "box").render(services, pods).lines().toList();
    }

    @Test
    void serviceNamesMapToReadySelectedPods() {
        List<String> lines = render(List.of(service("logic", Map.of("c", "logic"), false, false)), List.of(
                pod("logic-a", "127.0.0.10", Map.of("c", "logic")),
                pod("logic-b", "127.0.0.11", Map.of("c", "logic"), false, null, false),
                pod("logic-c", "127.0.0.12", Map.of("c", "logic"), true, null, true),
                pod("comet-a", "127.0.0.13", Map.of("c", "comet"))));
        assertThat(lines).contains("127.0.0.10 logic logic.ns logic.ns.svc logic.ns.svc.cluster.local");
        assertThat(lines).noneMatch(l -> l.startsWith("127.0.0.11") || l.startsWith("127.0.0.12")
                || l.startsWith("127.0.0.13"));
    }

    @Test
    void headlessServicesNameEachPod() {
        List<String> lines = render(List.of(service("comet-headless", Map.of("c", "comet"), true, false)), List.of(
                pod("comet-a", "127.0.0.10", Map.of("c", "comet")),
                pod("comet-b", "127.0.0.11", Map.of("c", "comet"), true, "b", false)));
        assertThat(lines).contains("127.0.0.10 comet-a.comet-headless.ns comet-a.comet-headless.ns.svc "
                + "comet-a.comet-headless.ns.svc.cluster.local");
        assertThat(lines).contains(
                "127.0.0.11 b.comet-headless.ns b.comet-headless.ns.svc b.comet-headless.ns.svc.cluster.local");
        assertThat(lines).filteredOn(l -> l.contains(" comet-headless.ns.svc ")).hasSize(2);
    }

    @Test
    void publishNotReadyAddresses() {
        List<String> lines = render(List.of(service("nats", Map.of("c", "nats"), false, true)),
                List.of(pod("nats-0", "127.0.0.10", Map.of("c", "nats"), false, null, false)));
        assertThat(lines).contains("127.0.0.10 nats nats.ns nats.ns.svc nats.ns.svc.cluster.local");
    }

    @Test
    void localhostAlwaysResolves() {
        assertThat(render(List.of(), List.of())).containsExactly("127.0.0.1 localhost",
                "::1 localhost ip6-localhost", "127.0.0.1 box");
    }

    @Test
    void servicesWithoutSelectorOrPodsWithoutAddressAreLeftOut() {
        Service external = new ServiceBuilder().withNewMetadata().withName("ext").withNamespace("ns").endMetadata()
                .withNewSpec().endSpec().build();
        List<String> lines = render(List.of(external, service("logic", Map.of("c", "logic"), false, false)),
                List.of(pod("logic-a", null, Map.of("c", "logic"))));
        assertThat(lines).hasSize(3);
    }

    @Test
    void updateRewritesTheFileOnlyWhenItChanges() throws Exception {
        HostsFile hosts = new HostsFile(dir.resolve("hosts"), "box");
        hosts.update(List.of(), List.of());
        Path file = dir.resolve("hosts");
        assertThat(Files.readString(file)).startsWith("127.0.0.1 localhost\n");
        Files.writeString(file, "changed by hand");
        hosts.update(List.of(), List.of());
        assertThat(Files.readString(file)).isEqualTo("changed by hand");
        hosts.update(List.of(service("logic", Map.of("c", "logic"), false, false)),
                List.of(pod("logic-a", "127.0.0.10", Map.of("c", "logic"))));
        assertThat(Files.readAllLines(file)).contains("127.0.0.10 logic logic.ns logic.ns.svc logic.ns.svc.cluster.local");
    }
}
