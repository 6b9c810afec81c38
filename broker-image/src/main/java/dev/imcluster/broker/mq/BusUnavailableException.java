package dev.imcluster.broker.mq;

/** The queue could not accept a message; logic answers 503 / UNAVAILABLE, never success. */
public final class BusUnavailableException extends RuntimeException {
    public BusUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public BusUnavailableException(String message) {
        super(message);
    }
}
