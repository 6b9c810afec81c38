package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;

/** logic: push API, sessions, auth. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LogicSpec extends RoleSpec {
    public static final int DEFAULT_REPLICAS = 2;

    @JsonPropertyDescription("Number of logic pods.")
    @Min(0)
    @io.fabric8.generator.annotation.Max(Patterns.MAX_REPLICAS)
    @Default("2")
    public Integer replicas;

    @Override
    public int desiredReplicas() {
        return replicas == null ? DEFAULT_REPLICAS : replicas;
    }
}
