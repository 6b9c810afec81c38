package dev.imcluster.broker.runtime;

/** One goim role (comet, logic or job) running inside this process. */
public interface Role extends AutoCloseable {

    /** comet, logic or job. */
    String name();

    /** Binds listeners and starts work; returns once serving. */
    void start() throws Exception;

    /** Stops gracefully (comet closes its clients first). */
    @Override
    void close();
}
