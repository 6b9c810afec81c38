package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.pubsub.HistoryResponse;
import dev.imcluster.broker.api.pubsub.StreamPosition;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

/** The outcome and the seam of a recovery, as gRPC Subscribe and goim RESUME both use them. */
class HistoryReplayTest {
    private static final StreamPosition SINCE = position(10, "memory:a");

    private static StreamPosition position(long offset, String epoch) {
        return StreamPosition.newBuilder().setOffset(offset).setEpoch(epoch).build();
    }

    private static RoomMessage live(long offset, String epoch) {
        return RoomMessage.newBuilder().setOffset(offset).setEpoch(epoch).build();
    }

    @Test
    void aCompleteHistoryReplaysItsMessagesAndTheSeamIsTheLastOfThem() {
        HistoryReplay replay = HistoryReplay.of("live://1", SINCE, HistoryResponse.newBuilder().setComplete(true)
                .setPosition(position(12, "memory:a"))
                .addMessages(SubscribeResponse.newBuilder().setOffset(11).setEpoch("memory:a"))
                .addMessages(SubscribeResponse.newBuilder().setOffset(12).setEpoch("memory:a")).build(), null);
        assertThat(replay.recovered).isTrue();
        assertThat(replay.outcome().getReplayed()).isEqualTo(2);
        assertThat(replay.outcome().getPosition()).isEqualTo(position(12, "memory:a"));
        assertThat(replay.replayed(live(12, "memory:a"))).isTrue();
        assertThat(replay.replayed(live(13, "memory:a"))).isFalse();
        assertThat(replay.replayed(live(5, "memory:b"))).as("another epoch is new").isFalse();
        assertThat(replay.pastSeam(live(12, "memory:a"))).isFalse();
        assertThat(replay.pastSeam(live(13, "memory:a"))).isTrue();
    }

    @Test
    void nothingMissedMeansTheSeamIsThePositionItself() {
        HistoryReplay replay = HistoryReplay.of("live://1", SINCE, HistoryResponse.newBuilder().setComplete(true)
                .setPosition(SINCE).build(), null);
        assertThat(replay.recovered).isTrue();
        assertThat(replay.messages).isEmpty();
        assertThat(replay.replayed(live(10, "memory:a"))).isTrue();
        assertThat(replay.replayed(live(11, "memory:a"))).isFalse();
    }

    @Test
    void anIncompleteOrUnreadableHistoryIsNotRecoveredAndHasNoSeam() {
        HistoryReplay old = HistoryReplay.of("live://1", SINCE, HistoryResponse.newBuilder().setComplete(false)
                .setReason("position older than history").setPosition(position(99, "memory:a")).build(), null);
        assertThat(old.recovered).isFalse();
        assertThat(old.reason).isEqualTo("position older than history");
        assertThat(old.latest.getOffset()).isEqualTo(99);
        assertThat(old.replayed(live(5, "memory:a"))).isFalse();
        HistoryReplay down = HistoryReplay.of("live://1", SINCE, null,
                Status.UNAVAILABLE.withDescription("logic down").asRuntimeException());
        assertThat(down.recovered).isFalse();
        assertThat(down.reason).startsWith("history unavailable: ").contains("logic down");
        assertThat(down.outcome().hasPosition()).isTrue();
    }
}
