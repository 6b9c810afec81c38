package dev.imcluster.nodeagent;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code <state>/hosts}, given to the JVMs with -Djdk.net.hosts.file: every Service name -> the IPs of the ready pods
 * its selector matches (the JDK picks the first of several for a plain connect), and for headless Services also
 * {@code <pod>.<svc>.<ns>.svc...} per pod.
 *
 * <p>Computed from Services and Pods, as the endpoints controller would: the API server refuses Endpoints with
 * loopback addresses, so the Endpoints objects of these Services stay empty.
 */
final class HostsFile {
    private static final Logger LOG = LoggerFactory.getLogger(HostsFile.class);

    private final Path path;
    private final String hostname;
    private String content;

    HostsFile(Path path, String hostname) {
        this.path = path;
        this.hostname = hostname;
    }

    Path path() {
        return path;
    }

    /** Rewrites the file (atomically) when its content changes. */
    synchronized void update(List<Service> services, List<Pod> pods) throws IOException {
        String rendered = render(services, pods);
        if (rendered.equals(content)) {
            return;
        }
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        Files.writeString(tmp, rendered, StandardCharsets.UTF_8);
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        content = rendered;
        LOG.info("hosts file updated ({} entries)", rendered.lines().count());
    }

    String render(List<Service> services, List<Pod> pods) {
        List<String> lines = new ArrayList<>(List.of("127.0.0.1 localhost", "::1 localhost ip6-localhost",
                "127.0.0.1 " + hostname));
        Map<String, List<Pod>> byNamespace = pods.stream()
                .filter(p -> p.getStatus() != null && p.getStatus().getPodIP() != null
                        && !p.getStatus().getPodIP().isEmpty() && p.getMetadata().getDeletionTimestamp() == null)
                .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
                .collect(Collectors.groupingBy(p -> p.getMetadata().getNamespace()));
        List<Service> sorted = services.stream()
                .sorted(Comparator.comparing((Service s) -> s.getMetadata().getNamespace())
                        .thenComparing(s -> s.getMetadata().getName()))
                .toList();
        for (Service svc : sorted) {
            String ns = svc.getMetadata().getNamespace();
            String name = svc.getMetadata().getName();
            Map<String, String> selector = svc.getSpec().getSelector();
            if (selector == null || selector.isEmpty()) {
                continue;
            }
            boolean publishNotReady = Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
            for (Pod pod : byNamespace.getOrDefault(ns, List.of())) {
                Map<String, String> labels = Objects.requireNonNullElse(pod.getMetadata().getLabels(), Map.of());
                if (!selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) {
                    continue;
                }
                if (!(ready(pod) || publishNotReady)) {
                    continue;
                }
                String ip = pod.getStatus().getPodIP();
                lines.add(ip + " " + String.join(" ", names(name, ns)));
                if ("None".equals(svc.getSpec().getClusterIP())) {
                    String host = pod.getSpec() != null && pod.getSpec().getHostname() != null
                            ? pod.getSpec().getHostname() : pod.getMetadata().getName();
                    List<String> podNames = names(host + "." + name, ns);
                    lines.add(ip + " " + String.join(" ", podNames.subList(1, podNames.size())));
                }
            }
        }
        return String.join("\n", lines) + "\n";
    }

    static List<String> names(String base, String ns) {
        return List.of(base, base + "." + ns, base + "." + ns + ".svc", base + "." + ns + ".svc.cluster.local");
    }

    static boolean ready(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null
                && pod.getStatus().getConditions().stream()
                        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }
}
