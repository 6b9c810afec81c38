package dev.imcluster.broker.protocol;

/** goim's operations (api/protocol/operation.go): requests are even, their replies the next odd number. */
public final class Op {
    public static final int HANDSHAKE = 0;
    public static final int HANDSHAKE_REPLY = 1;
    public static final int HEARTBEAT = 2;
    public static final int HEARTBEAT_REPLY = 3;
    public static final int SEND_MSG = 4;
    public static final int SEND_MSG_REPLY = 5;
    public static final int DISCONNECT_REPLY = 6;
    public static final int AUTH = 7;
    public static final int AUTH_REPLY = 8;
    /** The body is a concatenation of whole frames. */
    public static final int RAW = 9;
    public static final int PROTO_READY = 10;
    public static final int PROTO_FINISH = 11;
    public static final int CHANGE_ROOM = 12;
    public static final int CHANGE_ROOM_REPLY = 13;
    public static final int SUB = 14;
    public static final int SUB_REPLY = 15;
    public static final int UNSUB = 16;
    public static final int UNSUB_REPLY = 17;

    // imcluster's opt-in extension (goim does not use 18 and up): positions and resuming a room from one.
    // A client that never sends POSITIONS or RESUME sees none of these.
    /** Client: from now on, follow every room batch with a {@link #POSITION_MARK}. Empty body, no reply. */
    public static final int POSITIONS = 20;
    /** Server: JSON {@code {"room","offset","epoch"}}, the position of the last message of the batch before it. */
    public static final int POSITION_MARK = 21;
    /** Client: JSON {@code {"room","offset","epoch"}}: join that room and replay what came after the position. */
    public static final int RESUME = 22;
    /** Server: JSON {@code {"recovered","reason","replayed","offset","epoch"}}, before the replayed batches. */
    public static final int RESUME_REPLY = 23;

    private Op() {
    }
}
