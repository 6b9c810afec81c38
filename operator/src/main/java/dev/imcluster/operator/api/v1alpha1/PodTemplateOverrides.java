package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;

import java.util.List;
import java.util.Map;

/** Pod template fields a user may set; everything else about the pod is the operator's. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodTemplateOverrides {
    @JsonPropertyDescription("Pod affinity and anti-affinity.")
    public Affinity affinity;
    @JsonPropertyDescription("Tolerations.")
    public List<Toleration> tolerations;
    @JsonPropertyDescription("Node selector.")
    public Map<String, String> nodeSelector;
    @JsonPropertyDescription("Topology spread constraints.")
    public List<TopologySpreadConstraint> topologySpreadConstraints;
    @JsonPropertyDescription("Extra pod annotations (the operator's own keys win).")
    public Map<String, String> annotations;
    @JsonPropertyDescription("Extra pod labels (the operator's app.kubernetes.io/* labels win).")
    public Map<String, String> labels;
    @JsonPropertyDescription("Priority class of the pods.")
    @io.fabric8.generator.annotation.Pattern(Patterns.DNS_SUBDOMAIN)
    @io.fabric8.generator.annotation.Size(max = Patterns.NAME_MAX)
    public String priorityClassName;
}
