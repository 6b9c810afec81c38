package dev.imcluster.bench.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each object the operator owns was first seen, per cluster: one informer per kind, in every namespace,
 * selected by the operator's managed-by label and grouped by the instance label (the PubSubCluster's name). Times
 * are this process's {@link System#nanoTime()} at the informer's add event, so they compare with the time a create
 * request was sent.
 */
public final class OwnedObjects implements AutoCloseable {
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String OPERATOR = "imcluster-operator";
    public static final String INSTANCE = "app.kubernetes.io/instance";

    /** An owned kind; {@code apiVersion} as the API server serves it. */
    public record Kind(String apiVersion, String kind) {
    }

    private final Map<String, Map<String, Long>> seen = new ConcurrentHashMap<>();
    private final List<SharedIndexInformer<GenericKubernetesResource>> informers = new ArrayList<>();

    public OwnedObjects(KubernetesClient client, List<Kind> kinds) {
        for (Kind k : kinds) {
            informers.add(client.genericKubernetesResources(k.apiVersion(), k.kind()).inAnyNamespace()
                    .withLabel(MANAGED_BY, OPERATOR).inform(handler(k.kind()), 0));
        }
    }

    private ResourceEventHandler<GenericKubernetesResource> handler(String kind) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource r) {
                saw(kind, r);
            }

            @Override
            public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
                saw(kind, after);
            }

            @Override
            public void onDelete(GenericKubernetesResource r, boolean unknownFinalState) {
            }
        };
    }

    private void saw(String kind, GenericKubernetesResource r) {
        long now = System.nanoTime();
        Map<String, String> labels = r.getMetadata().getLabels();
        String instance = labels == null ? null : labels.get(INSTANCE);
        if (instance != null) {
            seen.computeIfAbsent(key(r.getMetadata().getNamespace(), instance), k -> new ConcurrentHashMap<>())
                    .putIfAbsent(kind + "/" + r.getMetadata().getName(), now);
        }
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    public int count(String namespace, String name) {
        Map<String, Long> m = seen.get(key(namespace, name));
        return m == null ? 0 : m.size();
    }

    /** The owned objects seen for a cluster, as Kind/name, sorted. */
    public TreeSet<String> objects(String namespace, String name) {
        Map<String, Long> m = seen.get(key(namespace, name));
        return m == null ? new TreeSet<>() : new TreeSet<>(m.keySet());
    }

    /** When the last of {@code expected} objects of the cluster was first seen; empty while fewer are seen. */
    public OptionalLong completedAt(String namespace, String name, int expected) {
        Map<String, Long> m = seen.get(key(namespace, name));
        if (m == null || m.size() < expected) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(m.values().stream().mapToLong(Long::longValue).max().orElseThrow());
    }

    @Override
    public void close() {
        informers.forEach(SharedIndexInformer::close);
    }
}
