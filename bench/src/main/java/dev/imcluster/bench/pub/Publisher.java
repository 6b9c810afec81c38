package dev.imcluster.bench.pub;

/** Sends messages to targets (rooms, topics, subjects, channels or keys), asynchronously. */
public interface Publisher extends AutoCloseable {
    /** Called once per message: null on success, else the failure. */
    interface Callback {
        void done(Throwable error);
    }

    /**
     * Sends {@code payload} to target number {@code target}; {@code callback} runs when the system accepted it
     * (or failed). The payload array is not reused by the caller.
     */
    void publish(int target, byte[] payload, Callback callback);

    /** How this publishes, for the report, e.g. "gRPC Publish". */
    String describe();

    @Override
    void close();
}
