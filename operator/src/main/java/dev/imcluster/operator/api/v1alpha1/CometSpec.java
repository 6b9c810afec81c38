package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;

import io.fabric8.generator.annotation.ValidationRule;

import java.util.List;
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
    @ValidationRule(value = "(!has(self.loadBalancerClass) && !has(self.loadBalancerSourceRanges))"
            + " || self.type == 'LoadBalancer'", message = LOAD_BALANCER_ONLY)
    @ValidationRule(value = "!has(self.externalTrafficPolicy) || self.type != 'ClusterIP'",
            message = TRAFFIC_POLICY_EXTERNAL)
    public static class ServiceSpec {
        @JsonPropertyDescription("Service type of the client-facing comet Service.")
        @Default("ClusterIP")
        public ServiceType type;
        @JsonPropertyDescription("Annotations of the client-facing Service (for example load-balancer settings).")
        public Map<String, String> annotations;

        @JsonPropertyDescription("Cluster (default) or Local: Local keeps client source addresses and sends "
                + "traffic only to nodes that run a comet. Only for type NodePort or LoadBalancer.")
        public TrafficPolicy externalTrafficPolicy;

        @JsonPropertyDescription("Client CIDRs the cloud load balancer admits (for example 203.0.113.0/24, at most 64); "
                + "only for type LoadBalancer.")
        @io.fabric8.generator.annotation.Size(max = 64)
        public List<String> loadBalancerSourceRanges;

        @JsonPropertyDescription("The load balancer implementation (for example service.k8s.aws/nlb); only for "
                + "type LoadBalancer, and immutable once the Service exists.")
        @io.fabric8.generator.annotation.Pattern("^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                + "[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
        @io.fabric8.generator.annotation.Size(max = 316)
        public String loadBalancerClass;
    }

    /** IPv4 or IPv6 CIDR (the API server checks the address itself). */
    public static final String CIDR = "^[0-9A-Fa-f:.]+/[0-9]{1,3}$";
    public static final String LOAD_BALANCER_ONLY =
            "comet.service.loadBalancerClass and loadBalancerSourceRanges need type LoadBalancer";
    public static final String TRAFFIC_POLICY_EXTERNAL =
            "comet.service.externalTrafficPolicy needs type NodePort or LoadBalancer";

    public enum TrafficPolicy { Cluster, Local }

    public enum ServiceType { ClusterIP, NodePort, LoadBalancer }
}
