package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.MetricsSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.ServiceMonitorModel;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Creates, updates or removes the cluster's ServiceMonitor, only when the monitoring.coreos.com CRD exists (so no
 * discovery or watch is ever made for a kind the server lacks). Owned through an owner reference like the rest.
 */
final class ServiceMonitorSync {
    static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder()
            .withGroup(ServiceMonitorModel.GROUP).withVersion(ServiceMonitorModel.VERSION)
            .withKind(ServiceMonitorModel.KIND).withPlural(ServiceMonitorModel.PLURAL).withNamespaced(true).build();

    private ServiceMonitorSync() {
    }

        /** @param extraLabels operator-wide labels for every ServiceMonitor (OperatorConfig#serviceMonitorLabels) */
    static void reconcile(PubSubCluster c, KubernetesClient client, ApiCapabilities caps,
                          Map<String, String> extraLabels) {
        if (!caps.serviceMonitorCrd()) {
            return;
        }
        var resource = client.genericKubernetesResources(CONTEXT).inNamespace(c.getMetadata().getNamespace())
                .withName(Names.serviceMonitor(c));
        boolean wanted = c.getSpec().metrics == null
                || c.getSpec().metrics.serviceMonitor != MetricsSpec.ServiceMonitorMode.disabled;
        GenericKubernetesResource live = resource.get();
        if (!wanted) {
            if (live != null) {
                resource.delete();
            }
            return;
        }
        GenericKubernetesResource desired = ServiceMonitorModel.desired(c, extraLabels);
        desired.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder()
                .withApiVersion(c.getApiVersion()).withKind(c.getKind()).withName(c.getMetadata().getName())
                .withUid(c.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true).build()));
        if (live == null) {
            client.genericKubernetesResources(CONTEXT).inNamespace(c.getMetadata().getNamespace()).resource(desired)
                    .create();
        } else if (!Objects.equals(live.getAdditionalProperties().get("spec"),
                desired.getAdditionalProperties().get("spec"))
                || !Objects.equals(live.getMetadata().getLabels(), desired.getMetadata().getLabels())) {
            desired.getMetadata().setResourceVersion(live.getMetadata().getResourceVersion());
            client.genericKubernetesResources(CONTEXT).inNamespace(c.getMetadata().getNamespace()).resource(desired)
                    .update();
        }
    }
}
