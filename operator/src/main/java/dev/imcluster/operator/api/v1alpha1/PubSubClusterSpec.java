package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * The desired cluster. The transition rules (oldSelf) refuse an edit that swaps the backend away from kafka, nats or mqtt
 * and drops that backend's settings at once: the swap it starts still drains the old backend. On spec, not on mq,
 * so that removing mq altogether is judged too. SpecValidation refuses the same from status.backend.active.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(oldSelf.mq) || oldSelf.mq.backend != 'kafka' || (has(self.mq) && (self.mq.backend == 'kafka'"
        + " || (has(self.mq.kafka) && has(self.mq.kafka.bootstrapServers) && size(self.mq.kafka.bootstrapServers) > 0)))",
        message = "mq.kafka.bootstrapServers is still needed until the backend swap away from kafka is Complete")
@ValidationRule(value = "!has(oldSelf.mq) || oldSelf.mq.backend != 'nats' || (has(self.mq) && (self.mq.backend == 'nats'"
        + " || (has(self.mq.nats) && (has(self.mq.nats.url) || (has(self.mq.nats.managed) && self.mq.nats.managed)))))",
        message = "mq.nats (url or managed: true) is still needed until the backend swap away from nats is Complete")
@ValidationRule(value = "!has(oldSelf.mq) || oldSelf.mq.backend != 'mqtt' || (has(self.mq) && (self.mq.backend == 'mqtt'"
        + " || (has(self.mq.mqtt) && (has(self.mq.mqtt.url) || (has(self.mq.mqtt.managed) && self.mq.mqtt.managed)))))",
        message = "mq.mqtt (url or managed: true) is still needed until the backend swap away from mqtt is Complete")
public class PubSubClusterSpec {

    @JsonPropertyDescription("Broker image (comet, logic and job run the same image). Default: the operator's "
            + "configured broker image.")
    @Pattern(Patterns.IMAGE)
    @Size(max = Patterns.IMAGE_MAX)
    public String image;

    @JsonPropertyDescription("Image pull policy of the broker containers.")
    public ImagePullPolicy imagePullPolicy;

    @JsonPropertyDescription("comet: the client edge (goim TCP 3101, WebSocket 3102, gRPC 3100).")
    public CometSpec comet = new CometSpec();

    @JsonPropertyDescription("logic: the push HTTP API (3111), sessions and gRPC (3119).")
    public LogicSpec logic = new LogicSpec();

    @JsonPropertyDescription("job: consumes the queue and fans pushes out to comets.")
    public JobSpec job = new JobSpec();

    @JsonPropertyDescription("Room history and redelivery dedupe, read by every role. When unset, the broker's "
            + "defaults: no history, dedupe window 5m of at most 4194304 ids.")
    public DeliverySpec delivery;

    @JsonPropertyDescription("Broker config keys for every role, as in the broker's config file (the README's "
            + "configuration reference), merged over what the operator renders from the typed fields; for example "
            + "{comet: {protocol: {sendQueueSize: 2048}}, mq: {maxInFlight: 512}}. The operator checks the result with "
            + "the broker's own loader before it applies anything: a key the broker does not know, or a value it "
            + "would refuse at start, sets SpecValid False with the key named, and nothing changes. Keys the operator "
            + "sets itself (listeners and ports, addresses, the queue backend, TLS and Secret file paths, serverId) "
            + "and keys with a typed field are refused with the field to use. A change rolls only the roles that "
            + "read the changed keys.")
    public java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> config;

    @JsonPropertyDescription("The message queue between logic and job.")
    public MqSpec mq = new MqSpec();

    @JsonPropertyDescription("The Redis that holds sessions (goim's key schema). Exactly one of managed or "
            + "external; when unset, the operator runs a managed Redis without persistence.")
    public RedisSpec redis;

    @JsonPropertyDescription("Client authentication on comet. When unset, clients are trusted as in goim "
            + "(the Auth frame's JSON is not verified), and status.clientAuth says unauthenticated.")
    public AuthSpec auth;

    @JsonPropertyDescription("Client-facing TLS on comet (secretName), and mutual TLS between the roles (internal).")
    public TlsSpec tls;

    @JsonPropertyDescription("Prometheus integration.")
    public MetricsSpec metrics;

    @JsonPropertyDescription("NetworkPolicies restricting traffic between the roles (opt-in).")
    public NetworkPolicySpec networkPolicy;

    @JsonPropertyDescription("The ServiceAccount the broker pods (comet, logic, job) run as: the operator's own "
            + "<name>-broker with extra annotations (cloud workload identity), or an existing one by name.")
    public ServiceAccountSpec serviceAccount;

    @JsonPropertyDescription("Stop changing owned objects (they keep running). Same as the annotation "
            + "pubsub.imcluster.dev/paused: \"true\".")
    public Boolean paused;

    public static final String SERVICE_ACCOUNT_EXCLUSIVE = "serviceAccount.name and serviceAccount.annotations are "
            + "mutually exclusive (annotate the named ServiceAccount itself)";

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "!(has(self.name) && has(self.annotations))", message = SERVICE_ACCOUNT_EXCLUSIVE)
    public static class ServiceAccountSpec {
        @JsonPropertyDescription("An existing ServiceAccount in the cluster's namespace for the broker pods, "
                + "managed by you; the operator then leaves it as it is. Unset: <name>-broker, which the operator "
                + "creates.")
        @Pattern(Patterns.DNS_SUBDOMAIN)
        @Size(max = Patterns.NAME_MAX)
        public String name;

        @JsonPropertyDescription("Annotations of the operator's ServiceAccount <name>-broker, for example "
                + "iam.gke.io/gcp-service-account or eks.amazonaws.com/role-arn.")
        @Size(max = 64)
        public java.util.Map<String, String> annotations;
    }

    public enum ImagePullPolicy { Always, IfNotPresent, Never }
}
