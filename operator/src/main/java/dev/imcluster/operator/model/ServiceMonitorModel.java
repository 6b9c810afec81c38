package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;

import java.util.List;
import java.util.Map;

/**
 * A Prometheus-operator ServiceMonitor over the metrics Service, built untyped (no model dependency on the
 * monitoring CRDs, which may not exist).
 */
public final class ServiceMonitorModel {
    public static final String GROUP = "monitoring.coreos.com";
    public static final String VERSION = "v1";
    public static final String KIND = "ServiceMonitor";
    public static final String PLURAL = "servicemonitors";

    private ServiceMonitorModel() {
    }

    public static GenericKubernetesResource desired(PubSubCluster c) {
        return desired(c, Map.of());
    }

    /**
     * @param extraLabels operator-wide labels (OperatorConfig#serviceMonitorLabels, e.g. the label a Prometheus selects
     *                    ServiceMonitors by); the cluster's own labels win over them
     */
    public static GenericKubernetesResource desired(PubSubCluster c, Map<String, String> extraLabels) {
        Map<String, String> labels = new java.util.LinkedHashMap<>(extraLabels);
        labels.putAll(Labels.all(c, "metrics"));
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(GROUP + "/" + VERSION)
                .withKind(KIND)
                .withNewMetadata()
                    .withName(Names.serviceMonitor(c))
                    .withNamespace(c.getMetadata().getNamespace())
                    .withLabels(labels)
                .endMetadata()
                .addToAdditionalProperties("spec", Map.of(
                        "selector", Map.of("matchLabels", Labels.all(c, "metrics")),
                        // Series carry the cluster and role as app_kubernetes_io_instance / _component, the names
                        // a kubernetes-pods labelmap gives too: the dashboard's cluster filter reads them.
                        "podTargetLabels", List.of(Labels.INSTANCE, Labels.COMPONENT),
                        "endpoints", List.of(Map.of("port", "admin", "path", "/metrics", "interval", "30s"))))
                .build();
    }
}
