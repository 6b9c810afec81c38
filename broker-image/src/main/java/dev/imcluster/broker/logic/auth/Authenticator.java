package dev.imcluster.broker.logic.auth;

import dev.imcluster.broker.security.AuthException;
import dev.imcluster.broker.security.JwtVerifier;

/** Turns the body of a client's Auth frame (op 7) into an {@link Identity}, or refuses it. */
public interface Authenticator {

    Identity authenticate(byte[] authBody) throws AuthException;

    /** {@code logic.auth.mode}: goim's trust without a verifier, a required JWT with one. */
    static Authenticator create(JwtVerifier jwt) {
        return jwt == null ? new GoimAuthenticator() : new JwtAuthenticator(jwt);
    }
}
