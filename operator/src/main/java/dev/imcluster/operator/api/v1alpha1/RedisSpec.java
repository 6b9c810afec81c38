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
    public static class External {
        @JsonPropertyDescription("host:port of the Redis.")
        @Required
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
    }
}
