package dev.imcluster.broker.history;

import com.google.protobuf.Timestamp;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.pubsub.StreamPosition;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;

/** A room message as topic subscribers see it, live or from history: the same fields either way. */
public final class Publications {
    private Publications() {
    }

    public static SubscribeResponse response(RoomMessage m) {
        SubscribeResponse.Builder r = SubscribeResponse.newBuilder().setPayload(m.getBody()).setId(m.getMsgId())
                .setOffset(m.getOffset()).setEpoch(m.getEpoch()).putAllHeaders(m.getHeadersMap())
                .setOperation(m.getOperation());
        if (m.getPublishedAtMicros() > 0) {
            r.setPublishTime(Timestamp.newBuilder().setSeconds(m.getPublishedAtMicros() / 1_000_000)
                    .setNanos((int) (m.getPublishedAtMicros() % 1_000_000) * 1000));
        }
        return r.build();
    }

    public static StreamPosition position(HistoryPage page) {
        return StreamPosition.newBuilder().setOffset(page.epoch().isEmpty() ? 0 : page.top()).setEpoch(page.epoch())
                .build();
    }
}
