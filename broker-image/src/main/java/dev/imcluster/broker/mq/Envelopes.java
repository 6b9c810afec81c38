package dev.imcluster.broker.mq;

import dev.imcluster.broker.api.internal.PushEnvelope;

/** Helpers shared by every backend. */
public final class Envelopes {
    private Envelopes() {
    }

    /** Order is kept per key push and per room: the first key, or the room, or "" for broadcasts. */
    public static String partitionKey(PushEnvelope e) {
        return switch (e.getType()) {
            case PUSH -> e.getKeysCount() > 0 ? e.getKeys(0) : "";
            case ROOM -> e.getRoom();
            default -> "";
        };
    }
}
