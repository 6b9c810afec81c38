package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Opt-in NetworkPolicies. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NetworkPolicySpec {
    @JsonPropertyDescription("Create NetworkPolicies: clients may reach comet's client ports and logic's push API; "
            + "internal ports accept only the cluster's own pods; admin (metrics) stays open for scrapers.")
    public Boolean enabled;

    public boolean isEnabled() {
        return Boolean.TRUE.equals(enabled);
    }
}
