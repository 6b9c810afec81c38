package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** The session Redis: one the operator runs, or an external one. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!(has(self.managed) && has(self.external))",
        message = "redis.managed and redis.external are mutually exclusive")
public class RedisSpec {

    @JsonPropertyDescription("A Redis the operator runs (StatefulSet, Service and a generated password Secret).")
    public Managed managed;

    @JsonPropertyDescription("An existing Redis.")
    public External external;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Managed {
        @JsonPropertyDescription("Size of the PersistentVolumeClaim (e.g. 1Gi); an emptyDir when unset.")
        @Pattern(Patterns.QUANTITY)
        @io.fabric8.generator.annotation.Size(max = 64)
        public String storage;

        @JsonPropertyDescription("Overrides merged into the Redis pod template (placement, labels and "
                + "annotations, image pull secrets, env, volumes, extra containers, security contexts).")
        public PodTemplateOverrides podTemplate;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "has(self.address) != has(self.sentinel)",
            message = "redis.external needs exactly one of address and sentinel")
    public static class External {
        @JsonPropertyDescription("host:port of the Redis. Exactly one of address and sentinel.")
        @Pattern("^[^\\s:]+:[0-9]{1,5}$")
        @io.fabric8.generator.annotation.Size(max = 1024)
        public String address;

        @JsonPropertyDescription("Secret key holding the Redis password.")
        public SecretKeyRef passwordSecretRef;

        @JsonPropertyDescription("Connect over TLS.")
        public Boolean tls;

        @JsonPropertyDescription("Redis database number.")
        @Min(0)
        @Max(15)
        public Integer database;

        @JsonPropertyDescription("A Redis run by Sentinel (the HA path, see docs/KUBERNETES.md): the roles ask the "
                + "sentinels for the master at each connect and follow a failover. Exactly one of address and "
                + "sentinel; passwordSecretRef and database apply to the Redis servers, tls to both.")
        public Sentinel sentinel;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "self.addresses.all(a, size(a) <= 1024 && a.matches('" + Sentinel.ADDRESS + "'))",
            message = Sentinel.ADDRESS_MESSAGE)
    public static class Sentinel {
        public static final String ADDRESS = "^[^\\\\s:]+:[0-9]{1,5}$";
        public static final String ADDRESS_MESSAGE = "each sentinel address must be host:port";

        @JsonPropertyDescription("The master's name in the sentinels' configuration (sentinel monitor NAME ...).")
        @Required
        @Pattern("^[^\\s]+$")
        @io.fabric8.generator.annotation.Size(min = 1, max = 256)
        public String masterName;

        @JsonPropertyDescription("host:port of each sentinel; list them all (any one that answers will do).")
        @Required
        @io.fabric8.generator.annotation.Size(min = 1, max = 16)
        public java.util.List<String> addresses;

        @JsonPropertyDescription("Secret key holding the sentinels' own password (their requirepass), if they "
                + "have one; key defaults to password.")
        public SecretKeyRef passwordSecretRef;
    }
}
