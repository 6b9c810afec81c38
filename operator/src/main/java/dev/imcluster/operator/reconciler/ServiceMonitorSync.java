package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.MetricsSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.ServiceMonitorModel;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

import java.util.Map;

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
        boolean wanted = c.getSpec().metrics == null
                || c.getSpec().metrics.serviceMonitor != MetricsSpec.ServiceMonitorMode.disabled;
        UntypedObjects.sync(client, CONTEXT, c, Names.serviceMonitor(c),
                wanted ? ServiceMonitorModel.desired(c, extraLabels) : null);
    }
}
