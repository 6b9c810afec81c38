package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;

import java.util.List;

/** Opt-in NetworkPolicies. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NetworkPolicySpec {
    @JsonPropertyDescription("Create ingress NetworkPolicies: clients reach comet's client ports only; only comet "
            + "reaches logic's gRPC; only job reaches comet's internal gRPC; only logic and job reach the managed "
            + "Redis and NATS; logic's HTTP push API accepts the peers in pushFrom; every admin (metrics) port stays "
            + "open for scrapers. Egress is not restricted. Enforced only where the network plugin supports them.")
    public Boolean enabled;

    @JsonPropertyDescription("Who may call logic's HTTP push API (your services). Default: every pod of the "
            + "cluster's namespace. " + PodTemplateOverrides.EXPLAIN + "networkpolicy.spec.ingress.from.")
    public List<NetworkPolicyPeer> pushFrom;

    public boolean isEnabled() {
        return Boolean.TRUE.equals(enabled);
    }
}
