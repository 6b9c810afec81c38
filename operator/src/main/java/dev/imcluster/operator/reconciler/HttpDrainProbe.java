package dev.imcluster.operator.reconciler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.BrokerConfigRenderer;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.SwapState;
import dev.imcluster.operator.model.Ports;
import dev.imcluster.operator.model.Role;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The drain check against the pods: first every logic pod (terminating ones included) must carry the new config
 * hash, then every job pod that is not terminating must answer {@code GET http://<podIP>:8080/migration} with the
 * expected {@code previous} and {@code drained: true}. Each job pod measures the whole group's lag at the request,
 * so the answers are read after the last old logic pod is gone.
 */
public final class HttpDrainProbe implements DrainProbe {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final int port;
    private final Duration timeout;
    private final HttpClient http;

    public HttpDrainProbe() {
        this(Ports.ADMIN, Duration.ofSeconds(5));
    }

    /** Another port and timeout, for tests that run job's endpoint on a free loopback port. */
    HttpDrainProbe(int port, Duration timeout) {
        this.port = port;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public Report check(KubernetesClient client, PubSubCluster c, SwapState state, String logicHash) {
        String ns = c.getMetadata().getNamespace();
        List<Pod> logic = pods(client, c, ns, Role.LOGIC);
        List<String> oldLogic = logic.stream().filter(p -> !logicHash.equals(hash(p)))
                .map(p -> p.getMetadata().getName()).toList();
        if (!oldLogic.isEmpty()) {
            return new Report(false, "logic pods " + oldLogic + " still run the old config (they may publish to "
                    + state.from() + ")");
        }
        List<Pod> jobs = pods(client, c, ns, Role.JOB).stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
        if (jobs.isEmpty()) {
            return new Report(false, "no job pod to ask");
        }
        List<String> waiting = new ArrayList<>();
        List<String> lags = new ArrayList<>();
        for (Pod p : jobs) {
            String name = p.getMetadata().getName();
            String ip = p.getStatus() == null ? null : p.getStatus().getPodIP();
            if (ip == null || ip.isBlank()) {
                waiting.add(name + ": no pod IP yet");
                continue;
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://"
                                + (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port + "/migration"))
                        .timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofString());
                JsonNode m = r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
                if (m == null) {
                    waiting.add(name + ": /migration answered " + r.statusCode());
                } else if (!state.from().name().equals(m.path("previous").asText())) {
                    waiting.add(name + ": consumes previous backend '" + m.path("previous").asText() + "', not "
                            + state.from());
                } else if (!m.path("drained").asBoolean(false)) {
                    waiting.add(name + ": lag " + (m.path("lag").isNumber() ? m.path("lag").asLong() : "unknown")
                            + " on " + state.from() + (m.hasNonNull("problem") ? " (" + m.get("problem").asText() + ")" : ""));
                } else {
                    lags.add(name);
                }
            } catch (java.io.IOException e) {
                waiting.add(name + ": " + e.getClass().getSimpleName() + " " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Report(false, "interrupted");
            }
        }
        return waiting.isEmpty() ? new Report(true, "job pods " + lags + " report lag 0")
                : new Report(false, String.join("; ", waiting));
    }

    private static List<Pod> pods(KubernetesClient client, PubSubCluster c, String ns, Role role) {
        Map<String, String> selector = Labels.selector(c, role.id());
        return client.pods().inNamespace(ns).withLabels(selector).list().getItems();
    }

    private static String hash(Pod p) {
        Map<String, String> a = p.getMetadata().getAnnotations();
        return a == null ? null : a.get(BrokerConfigRenderer.CONFIG_HASH_ANNOTATION);
    }
}
