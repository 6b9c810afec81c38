package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

/** logic: push API, sessions, auth. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LogicSpec extends RoleSpec {
    public static final int DEFAULT_REPLICAS = 2;

    @JsonPropertyDescription("Number of logic pods.")
    @Min(0)
    @io.fabric8.generator.annotation.Max(Patterns.MAX_REPLICAS)
    @Default("2")
    public Integer replicas;

    @JsonPropertyDescription("Rate limits of the push API and of Publish on logic, applied by every logic.")
    public Limits limits;

    @Override
    public int desiredReplicas() {
        return replicas == null ? DEFAULT_REPLICAS : replicas;
    }

    /** The broker's logic.pushRateLimit; unset fields keep the broker's defaults (off). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "!has(self.pushBurst) || (has(self.pushesPerSecond) && self.pushesPerSecond > 0)",
            message = Limits.PUSH_BURST_WITHOUT_RATE)
    public static class Limits {
        public static final String PUSH_BURST_WITHOUT_RATE =
                "logic.limits.pushBurst needs pushesPerSecond above 0 (pushes are not limited otherwise)";

        @JsonPropertyDescription("Pushes (HTTP push API, per remote address) and Publish calls (gRPC, per JWT "
                + "subject or peer) per second per caller; comets forwarding their clients' publishes are exempt "
                + "(they limit per connection). 0 turns the limit off. Default: 0.")
        @Min(0)
        @io.fabric8.generator.annotation.Max(CometSpec.Limits.MAX_RATE)
        public Integer pushesPerSecond;

        @JsonPropertyDescription("Pushes one caller may send at once after being idle. Default: 100.")
        @Min(1)
        @io.fabric8.generator.annotation.Max(CometSpec.Limits.MAX_RATE)
        public Integer pushBurst;
    }
}
