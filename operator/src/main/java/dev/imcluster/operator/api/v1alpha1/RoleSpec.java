package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/** What every role (comet, logic, job) has: replicas, resources, pod placement and disruption budget. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public abstract class RoleSpec {

    @JsonPropertyDescription("CPU and memory requests and limits of the broker container. "
            + PodTemplateOverrides.EXPLAIN + "pod.spec.containers.resources.")
    public ResourceRequirements resources;

    @JsonPropertyDescription("Overrides merged into the role's pod template: placement, labels and annotations, "
            + "image pull secrets, env, volumes, extra containers, security contexts.")
    public PodTemplateOverrides podTemplate;

    @JsonPropertyDescription("Leave the Deployment's replicas to an external scaler (for example a "
            + "HorizontalPodAutoscaler targeting the Deployment): the operator sets replicas only when it creates "
            + "the Deployment and keeps whatever the scaler sets afterwards.")
    public Boolean externallyScaled;

    @JsonPropertyDescription("At most this many pods of the role may be voluntarily disrupted at once "
            + "(the role's PodDisruptionBudget maxUnavailable).")
    @Min(1)
    @io.fabric8.generator.annotation.Max(Patterns.MAX_REPLICAS)
    public Integer maxUnavailable;

    @JsonPropertyDescription("Broker config keys for this role's pods only, merged over spec.config, with the same "
            + "checks; only keys of the sections the role reads: delivery and security for every role, comet and "
            + "logic.auth for comet, logic, mq and redis for logic, job, mq and redis for job.")
    public java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> config;

    /** The desired replicas; each role has its own default. */
    public abstract int desiredReplicas();

    public boolean isExternallyScaled() {
        return Boolean.TRUE.equals(externallyScaled);
    }

    public int maxUnavailableOrDefault() {
        return maxUnavailable == null ? 1 : maxUnavailable;
    }
}
