package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import org.junit.jupiter.api.Test;

/** A batch is a SubscribeResponse whose repeated {@code batch} field holds the parts, as any protobuf client reads it. */
class ResponseBatchTest {

    private static SubscribeResponse response(String payload, long offset) {
        return SubscribeResponse.newBuilder().setPayload(ByteString.copyFromUtf8(payload)).setOffset(offset)
                .setEpoch("e1").setId("id-" + offset).build();
    }

    @Test
    void theCarryingResponseHoldsThePartsInOrderAndNothingElse() throws InvalidProtocolBufferException {
        ResponseBatch batch = new ResponseBatch();
        for (int i = 1; i <= 3; i++) {
            batch.add(response("m" + i, i).toByteArray());
        }
        SubscribeResponse carrying = SubscribeResponse.parseFrom(batch.encode());
        assertThat(carrying.getBatchList()).containsExactly(response("m1", 1), response("m2", 2), response("m3", 3));
        assertThat(carrying.getPayload().isEmpty()).isTrue();
        assertThat(carrying.getOffset()).isZero();
        assertThat(batch.size()).as("empty again after encoding").isZero();
        assertThat(SubscribeResponse.parseFrom(encodeOne(batch, response("m4", 4))).getBatchList())
                .containsExactly(response("m4", 4));
    }

    private static byte[] encodeOne(ResponseBatch batch, SubscribeResponse r) {
        batch.add(r.toByteArray());
        return batch.encode();
    }

    @Test
    void aBatchStopsBeforeOneMebibyteButAlwaysTakesItsFirstPart() {
        byte[] big = response("x".repeat(ResponseBatch.MAX_BYTES / 2), 1).toByteArray();
        ResponseBatch batch = new ResponseBatch();
        assertThat(batch.fits(big)).isTrue();
        batch.add(big);
        assertThat(batch.fits(big)).as("a second half-mebibyte part would exceed the bound").isFalse();
        byte[] huge = response("x".repeat(ResponseBatch.MAX_BYTES * 2), 2).toByteArray();
        assertThat(new ResponseBatch().fits(huge)).as("alone, even an oversized message is sent").isTrue();
    }
}
