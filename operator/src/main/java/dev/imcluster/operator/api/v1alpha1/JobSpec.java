package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/** job: queue consumer and fan-out. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class JobSpec extends RoleSpec {
    public static final int DEFAULT_REPLICAS = 2;

    @JsonPropertyDescription("Number of job pods; they consume the queue as one group.")
    @Min(0)
    @io.fabric8.generator.annotation.Max(Patterns.MAX_REPLICAS)
    @Default("2")
    public Integer replicas;

    @JsonPropertyDescription("Per-room batching of pushes into one Raw frame (goim: 20 messages or 1s).")
    public RoomBatch roomBatch;

    @Override
    public int desiredReplicas() {
        return replicas == null ? DEFAULT_REPLICAS : replicas;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class RoomBatch {
        public static final int DEFAULT_MAX_MESSAGES = 20;
        public static final String DEFAULT_MAX_DELAY = "0s";

        @JsonPropertyDescription("Up to this many messages go into one batch (goim: 20). With maxDelay 0s, the batches that waited behind a room's send go out together as its next call, up to 256 messages and 256 KiB.")
        @Min(1)
        @Max(10000)
        @Default("" + DEFAULT_MAX_MESSAGES)
        public Integer maxMessages;

        @JsonPropertyDescription("0s (the default): a room's message goes out at once, and what arrives while its batch is being sent forms the next batch. A positive duration (goim: 1s) batches on that timer: at most one batch per interval per busy room.")
        @Pattern(Durations.PATTERN)
        @io.fabric8.generator.annotation.Size(max = Durations.MAX_LENGTH)
        @Default(DEFAULT_MAX_DELAY)
        public String maxDelay;

        /** maxMessages of {@code batch} (null: every default). */
        public static int maxMessagesOf(RoomBatch batch) {
            return batch == null || batch.maxMessages == null ? DEFAULT_MAX_MESSAGES : batch.maxMessages;
        }

        /** maxDelay of {@code batch} (null: every default). */
        public static String maxDelayOf(RoomBatch batch) {
            return batch == null || batch.maxDelay == null ? DEFAULT_MAX_DELAY : batch.maxDelay;
        }
    }
}
