package dev.imcluster.nodeagent;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node: registered once (Ready, capacity = this machine); its status patched and its Lease renewed every
 * {@link #PERIOD_SECONDS}, so the node lifecycle controller never evicts its pods.
 */
final class NodeHeartbeat {
    private static final Logger LOG = LoggerFactory.getLogger(NodeHeartbeat.class);
    static final long PERIOD_SECONDS = 10;
    static final String LEASE_NAMESPACE = "kube-node-lease";

    private final KubernetesClient client;
    private final String node;

    NodeHeartbeat(KubernetesClient client, String node) {
        this.client = client;
        this.node = node;
    }

    void register() {
        if (client.nodes().withName(node).get() == null) {
            client.nodes().resource(new NodeBuilder().withNewMetadata().withName(node)
                    .addToLabels("kubernetes.io/hostname", node)
                    .addToLabels("kubernetes.io/os", "linux")
                    .addToLabels("imcluster.dev/local-node-agent", "true")
                    .endMetadata().build()).create();
            LOG.info("registered node {}", node);
        }
        beat();
    }

    void beat() {
        client.nodes().withName(node).subresource("status")
                .patch(PatchContext.of(PatchType.JSON_MERGE), PodStatusReporter.json(Map.of("status", status())));
        if (client.leases().inNamespace(LEASE_NAMESPACE).withName(node).get() == null) {
            client.leases().inNamespace(LEASE_NAMESPACE).resource(new LeaseBuilder()
                    .withNewMetadata().withName(node).withNamespace(LEASE_NAMESPACE).endMetadata()
                    .withNewSpec().withHolderIdentity(node).withLeaseDurationSeconds(40).endSpec()
                    .build()).create();
        }
        // renewTime is a MicroTime: written as text, so its format is the API's whatever the model's type.
        client.leases().inNamespace(LEASE_NAMESPACE).withName(node).patch(PatchContext.of(PatchType.JSON_MERGE),
                PodStatusReporter.json(Map.of("spec", Map.of("holderIdentity", node, "leaseDurationSeconds", 40,
                        "renewTime", Times.nowMicros()))));
    }

    Map<String, Object> status() {
        long memoryKi = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize() / 1024;
        Map<String, String> capacity = Map.of("cpu", Integer.toString(Runtime.getRuntime().availableProcessors()),
                "memory", memoryKi + "Ki", "pods", "240");
        String t = Times.now();
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("capacity", capacity);
        status.put("allocatable", capacity);
        status.put("conditions", List.of(Map.of("type", "Ready", "status", "True", "reason", "KubeletReady",
                "message", "imcluster local node agent is posting ready status",
                "lastHeartbeatTime", t, "lastTransitionTime", t)));
        status.put("addresses", List.of(Map.of("type", "InternalIP", "address", "127.0.0.1"),
                Map.of("type", "Hostname", "address", node)));
        status.put("daemonEndpoints", Map.of("kubeletEndpoint", Map.of("Port", 0)));
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("kubeletVersion", "v1.20.2");
        info.put("kubeProxyVersion", "v1.20.2");
        info.put("osImage", "local processes");
        info.put("operatingSystem", "linux");
        info.put("architecture", "amd64");
        info.put("containerRuntimeVersion", "local://");
        info.put("kernelVersion", System.getProperty("os.version"));
        info.put("machineID", "");
        info.put("systemUUID", "");
        info.put("bootID", "");
        status.put("nodeInfo", info);
        return status;
    }
}
