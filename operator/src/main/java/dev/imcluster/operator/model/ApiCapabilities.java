package dev.imcluster.operator.model;

import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscovery;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * What the API server offers, for objects whose API differs between Kubernetes 1.20 and current versions.
 *
 * @param policyV1          policy/v1 PodDisruptionBudget exists (1.21+); otherwise policy/v1beta1 is used
 * @param serviceMonitorCrd the monitoring.coreos.com/v1 ServiceMonitor CRD is installed
 * @param certManagerCrd    the cert-manager.io/v1 Certificate CRD is installed (spec.tls.internal.issuerRef)
 */
public record ApiCapabilities(boolean policyV1, boolean serviceMonitorCrd, boolean certManagerCrd) {

    /** Without cert-manager. */
    public ApiCapabilities(boolean policyV1, boolean serviceMonitorCrd) {
        this(policyV1, serviceMonitorCrd, false);
    }

    /** Current Kubernetes without the Prometheus operator; what the mock server is assumed to be. */
    public static ApiCapabilities current() {
        return new ApiCapabilities(true, false);
    }

    /** Asks the API server's discovery endpoints. */
    public static ApiCapabilities discover(KubernetesClient client) {
        return new ApiCapabilities(hasVersion(client, "policy", "v1"), hasServiceMonitor(client),
                hasResource(client, CertManagerModel.GROUP, CertManagerModel.VERSION, CertManagerModel.PLURAL));
    }

    private static boolean hasVersion(KubernetesClient client, String group, String version) {
        APIGroup g = client.getApiGroup(group);
        if (g == null || g.getVersions() == null) {
            return false;
        }
        return g.getVersions().stream().map(GroupVersionForDiscovery::getVersion).anyMatch(version::equals);
    }

    private static boolean hasServiceMonitor(KubernetesClient client) {
        return hasResource(client, ServiceMonitorModel.GROUP, ServiceMonitorModel.VERSION, ServiceMonitorModel.PLURAL);
    }

    private static boolean hasResource(KubernetesClient client, String group, String version, String plural) {
        if (!hasVersion(client, group, version)) {
            return false;
        }
        APIResourceList list = client.getApiResources(group + "/" + version);
        return list != null && list.getResources() != null
                && list.getResources().stream().anyMatch(r -> plural.equals(r.getName()));
    }
}
