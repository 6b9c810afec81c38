package dev.imcluster.broker.logic.auth;

import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.config.LogicConfig;
import dev.imcluster.broker.security.AuthException;
import dev.imcluster.broker.security.JwtVerifier;

/** Turns the body of a client's Auth frame (op 7) into an {@link Identity}, or refuses it. */
public interface Authenticator {

    Identity authenticate(byte[] authBody) throws AuthException;

    /** The authenticator named by {@code logic.auth.mode}; key files are read now, so errors show at start. */
    static Authenticator create(LogicConfig.AuthConfig auth) throws ConfigException {
        return switch (auth.mode) {
            case goim -> new GoimAuthenticator();
            case jwt -> new JwtAuthenticator(JwtVerifier.fromConfig(auth));
        };
    }
}
