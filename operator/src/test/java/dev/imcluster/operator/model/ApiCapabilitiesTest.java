package dev.imcluster.operator.model;

import io.fabric8.kubernetes.api.model.APIGroupBuilder;
import io.fabric8.kubernetes.api.model.APIGroupListBuilder;
import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Discovery answers as a 1.20 server (policy/v1beta1 only) and a current one with the Prometheus operator give them. */
@EnableKubernetesMockClient
class ApiCapabilitiesTest {
    KubernetesMockServer server;
    KubernetesClient client;

    private void groups(String... policyVersions) {
        var policy = new APIGroupBuilder().withName("policy");
        for (String v : policyVersions) {
            policy.addNewVersion().withGroupVersion("policy/" + v).withVersion(v).endVersion();
        }
        var list = new APIGroupListBuilder().addToGroups(policy.build());
        server.expect().get().withPath("/apis").andReturn(200, list.build()).always();
        server.expect().get().withPath("/apis/policy").andReturn(200, policy.build()).always();
    }

    @Test
    void kubernetes120HasOnlyPolicyV1beta1AndNoServiceMonitor() {
        groups("v1beta1");
        server.expect().get().withPath("/apis/monitoring.coreos.com").andReturn(404, null).always();
        assertThat(ApiCapabilities.discover(client)).isEqualTo(new ApiCapabilities(false, false));
    }

    @Test
    void currentServerWithPrometheusOperator() {
        groups("v1", "v1beta1");
        var monitoring = new APIGroupBuilder().withName("monitoring.coreos.com")
                .addNewVersion().withGroupVersion("monitoring.coreos.com/v1").withVersion("v1").endVersion().build();
        server.expect().get().withPath("/apis/monitoring.coreos.com").andReturn(200, monitoring).always();
        server.expect().get().withPath("/apis/monitoring.coreos.com/v1").andReturn(200, new APIResourceListBuilder()
                .withGroupVersion("monitoring.coreos.com/v1")
                .addToResources(new APIResourceBuilder().withName("servicemonitors").withKind("ServiceMonitor")
                        .withNamespaced(true).build()).build()).always();
        assertThat(ApiCapabilities.discover(client)).isEqualTo(new ApiCapabilities(true, true));
    }
}
