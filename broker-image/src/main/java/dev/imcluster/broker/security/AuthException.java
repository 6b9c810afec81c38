package dev.imcluster.broker.security;

/** A refused Auth; the message is the reason given to the client (never the token itself). */
public final class AuthException extends Exception {
    public AuthException(String reason) {
        super(reason);
    }
}
