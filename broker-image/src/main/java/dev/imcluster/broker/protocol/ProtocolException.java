package dev.imcluster.broker.protocol;

/**
 * A client broke the wire protocol. {@link #reason()} is a short, stable label used as a metric tag; the
 * message says what was wrong (never any body content).
 */
public final class ProtocolException extends RuntimeException {

    private final String reason;

    public ProtocolException(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
