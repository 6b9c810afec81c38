package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;

import java.util.Map;

/** comet: the client edge. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CometSpec extends RoleSpec {
    public static final int DEFAULT_REPLICAS = 3;

    @JsonPropertyDescription("Number of comet pods.")
    @Min(0)
    @io.fabric8.generator.annotation.Max(Patterns.MAX_REPLICAS)
    @Default("3")
    public Integer replicas;

    @JsonPropertyDescription("The client-facing Service of comet.")
    public ServiceSpec service;

    @JsonPropertyDescription("Maximum concurrent client connections per comet pod; 0 means no limit.")
    @Min(0)
    @io.fabric8.generator.annotation.Max(10_000_000)
    public Integer maxConnections;

    @JsonPropertyDescription("On shutdown, how long a comet waits for clients to leave before closing the rest "
            + "(a duration such as 20s).")
    @io.fabric8.generator.annotation.Pattern(Durations.PATTERN)
    @io.fabric8.generator.annotation.Size(max = Durations.MAX_LENGTH)
    public String drainTimeout;

    @Override
    public int desiredReplicas() {
        return replicas == null ? DEFAULT_REPLICAS : replicas;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ServiceSpec {
        @JsonPropertyDescription("Service type of the client-facing comet Service.")
        @Default("ClusterIP")
        public ServiceType type;
        @JsonPropertyDescription("Annotations of the client-facing Service (for example load-balancer settings).")
        public Map<String, String> annotations;
    }

    public enum ServiceType { ClusterIP, NodePort, LoadBalancer }
}
