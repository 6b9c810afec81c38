package dev.imcluster.broker.security;

import java.util.Locale;

/** Why a JWT is refused: the {@code reason} tag of {@code imcluster_auth_refused_total} and the client's error. */
public enum JwtRefusal {
    MALFORMED, ALGORITHM_NOT_ALLOWED, UNKNOWN_KEY, BAD_SIGNATURE, EXPIRED, NOT_YET_VALID, WRONG_ISSUER,
    WRONG_AUDIENCE;

    public String tag() {
        return name().toLowerCase(Locale.ROOT);
    }

    AuthException refuse(String detail) {
        return new AuthException(tag(), detail);
    }
}
