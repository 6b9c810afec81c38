package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

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
    public String drainTimeout; // a published CRD field; the code calls this shutdown

    @JsonPropertyDescription("Rate and connection limits per client connection and per source address, applied by "
            + "every comet. Behind a load balancer, NodePort, ingress controller or proxy that does not keep client "
            + "addresses, every client shares its address: leave the per-address limits off there.")
    public Limits limits;

    @JsonPropertyDescription("MQTT 3.1.1 and 5 clients on port 1883 (comet's Service port 'mqtt').")
    public Mqtt mqtt;

    /** Whether comet's MQTT listener is on. */
    public boolean mqttEnabled() {
        return mqtt != null && Boolean.TRUE.equals(mqtt.enabled);
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Mqtt {
        @JsonPropertyDescription("Open comet's MQTT listener (port 1883) and the Service port and NetworkPolicy "
                + "ingress for it.")
        @Default("false")
        public Boolean enabled;
    }

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

    /**
     * The broker's comet.connectRateLimit, maxConnectionsPerAddress, publishRateLimit and publishRateLimitPerAddress;
     * unset fields keep the broker's defaults. Bounds are those of the broker's config validator.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "!has(self.connectBurst) || !has(self.connectsPerSecond) || self.connectsPerSecond > 0",
            message = Limits.CONNECT_BURST_WITHOUT_RATE)
    @ValidationRule(value = "!has(self.publishBurst) || (has(self.publishesPerSecond) && self.publishesPerSecond > 0)",
            message = Limits.PUBLISH_BURST_WITHOUT_RATE)
    @ValidationRule(value = "!has(self.publishPerAddressBurst) || (has(self.publishesPerAddressPerSecond)"
            + " && self.publishesPerAddressPerSecond > 0)", message = Limits.ADDRESS_BURST_WITHOUT_RATE)
    public static class Limits {
        public static final String CONNECT_BURST_WITHOUT_RATE =
                "comet.limits.connectBurst needs connectsPerSecond above 0 (0 turns the connect limit off)";
        public static final String PUBLISH_BURST_WITHOUT_RATE =
                "comet.limits.publishBurst needs publishesPerSecond above 0 (publishes are not limited otherwise)";
        public static final String ADDRESS_BURST_WITHOUT_RATE = "comet.limits.publishPerAddressBurst needs "
                + "publishesPerAddressPerSecond above 0 (publishes are not limited per address otherwise)";
        public static final int MAX_RATE = 1_000_000_000;

        @JsonPropertyDescription("New connections (goim TCP and WebSocket, and gRPC Subscribe streams) per second "
                + "from one source address (an IPv4 address or an IPv6 /64); 0 turns the limit off. Refused "
                + "connections are closed at once (WebSocket: HTTP 429; gRPC: RESOURCE_EXHAUSTED). Default: 0 (off; "
                + "the broker's own default is 20), since the address comet sees in a cluster is often a node's, an "
                + "ingress controller's or a proxy's, shared by many clients: set it when client addresses reach comet.")
        @Min(0)
        @Max(MAX_RATE)
        public Integer connectsPerSecond;

        @JsonPropertyDescription("New connections one source address may open at once after being idle. "
                + "Default: 100.")
        @Min(1)
        @Max(MAX_RATE)
        public Integer connectBurst;

        @JsonPropertyDescription("Open connections (goim and gRPC subscribers together) per source address and "
                + "comet pod; 0 means no limit. Default: 0.")
        @Min(0)
        @Max(10_000_000)
        public Integer maxConnectionsPerAddress;

        @JsonPropertyDescription("Client messages (goim upstream frames such as SendMsg, gRPC Publish calls) per "
                + "second per connection; 0 turns the limit off. Default: 0.")
        @Min(0)
        @Max(MAX_RATE)
        public Integer publishesPerSecond;

        @JsonPropertyDescription("Client messages one connection may send at once after being idle. Default: 100.")
        @Min(1)
        @Max(MAX_RATE)
        public Integer publishBurst;

        @JsonPropertyDescription("Client messages per second from all connections of one source address together; "
                + "0 turns the limit off. Default: 0.")
        @Min(0)
        @Max(MAX_RATE)
        public Integer publishesPerAddressPerSecond;

        @JsonPropertyDescription("Client messages one source address may send at once after being idle. "
                + "Default: 100.")
        @Min(1)
        @Max(MAX_RATE)
        public Integer publishPerAddressBurst;
    }
}
