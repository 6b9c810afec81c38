package dev.imcluster.nodeagent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Patches a pod's status (phase, IP, conditions, the container's status) when it changes. */
final class PodStatusReporter {
    private static final Logger LOG = LoggerFactory.getLogger(PodStatusReporter.class);
    // Sorted keys: the key that detects a change must not depend on insertion order.
    static final ObjectMapper JSON = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    /** What the runner knows of its container. */
    record ContainerState(String name, String image, Long pid, boolean running, boolean ready, int restarts,
            String startedAt, Map<String, Object> waiting, Map<String, Object> lastState) {
    }

    private final KubernetesClient client;
    private final String ns;
    private final String name;
    private final String ip;
    private final String startTime = Times.now();
    private String reportedKey;
    private Boolean reportedReady;

    PodStatusReporter(KubernetesClient client, String ns, String name, String ip) {
        this.client = client;
        this.ns = ns;
        this.name = name;
        this.ip = ip;
    }

    /** A status patch to send; remembered once the API server took it. */
    record Change(Map<String, Object> status, String key, boolean ready) {
    }

    synchronized void report(ContainerState c) {
        Change change = change(c);
        if (change == null) {
            return;
        }
        try {
            client.pods().inNamespace(ns).withName(name).subresource("status")
                    .patch(PatchContext.of(PatchType.JSON_MERGE), json(Map.of("status", change.status())));
            sent(change);
        } catch (KubernetesClientException e) {
            LOG.warn("{}/{}: status update failed: {}", ns, name, e.getMessage());
        }
    }

    /** The patch that brings the pod's status to c, or null when the last one sent already says it. */
    synchronized Change change(ContainerState c) {
        Map<String, Object> status = status(c);
        boolean ready = c.running() && c.ready();
        Map<String, Object> withoutConditions = new LinkedHashMap<>(status);
        withoutConditions.remove("conditions");
        String key = json(withoutConditions);
        if (key.equals(reportedKey) && reportedReady != null && reportedReady == ready) {
            return null;
        }
        // Keep the transition times of unchanged conditions.
        if (reportedReady != null && reportedReady == ready) {
            status.remove("conditions");
        }
        return new Change(status, key, ready);
    }

    synchronized void sent(Change change) {
        reportedKey = change.key();
        reportedReady = change.ready();
    }

    Map<String, Object> status(ContainerState c) {
        boolean ready = c.running() && c.ready();
        Map<String, Object> state = new LinkedHashMap<>();
        if (c.running()) {
            state.put("running", Map.of("startedAt", c.startedAt()));
        } else {
            state.put("waiting", c.waiting() != null ? c.waiting() : Map.of("reason", "ContainerCreating"));
        }
        Map<String, Object> container = new LinkedHashMap<>();
        container.put("name", c.name());
        container.put("image", c.image());
        container.put("imageID", "");
        container.put("containerID", c.pid() != null ? "local://" + c.pid() : null);
        container.put("ready", ready);
        container.put("started", c.running());
        container.put("restartCount", c.restarts());
        container.put("state", state);
        container.put("lastState", c.lastState());
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("phase", c.startedAt() != null ? "Running" : "Pending");
        status.put("hostIP", "127.0.0.1");
        status.put("podIP", ip);
        status.put("podIPs", List.of(Map.of("ip", ip)));
        status.put("startTime", startTime);
        List<Object> conditions = new ArrayList<>();
        conditions.add(condition("Initialized", true));
        conditions.add(condition("Ready", ready));
        conditions.add(condition("ContainersReady", ready));
        conditions.add(condition("PodScheduled", true));
        status.put("conditions", conditions);
        status.put("containerStatuses", List.of(container));
        return status;
    }

    private static Map<String, Object> condition(String type, boolean status) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("type", type);
        c.put("status", status ? "True" : "False");
        c.put("lastProbeTime", null);
        c.put("lastTransitionTime", Times.now());
        return c;
    }

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
