package dev.imcluster.broker.security;

/** A refused Auth; the message is the reason given to the client (never the token itself). */
public final class AuthException extends Exception {
    private final String reason;

    public AuthException(String message) {
        super(message);
        this.reason = null;
    }

    /** A refusal with a short machine-readable reason (a metric tag), shown to clients as "reason: detail". */
    public AuthException(String reason, String detail) {
        super(reason + ": " + detail);
        this.reason = reason;
    }

    /** The short reason (such as {@code expired}), or null when the refusal has none. */
    public String reason() {
        return reason;
    }
}
