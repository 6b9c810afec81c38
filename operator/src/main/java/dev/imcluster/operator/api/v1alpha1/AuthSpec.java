package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** Client authentication on comet (verified by logic at Connect). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AuthSpec {

    @JsonPropertyDescription("Require a JWT in the Auth frame's 'token' field and in the 'authorization: Bearer'"
            + " metadata of the public gRPC API.")
    public Jwt jwt;

    @JsonPropertyDescription("The shared token (at least 16 printable characters) that protects logic's push API and"
            + " the internal gRPC between roles; callers send 'Authorization: Bearer <token>'. Default: a Secret"
            + " '<cluster>-internal-token' the operator generates (key 'token'). Key default: 'token'.")
    public SecretKeyRef internalTokenSecretRef;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "(has(self.secretRef) ? 1 : 0) + (has(self.publicKeySecretRef) ? 1 : 0)"
            + " + (has(self.jwksSecretRef) ? 1 : 0) + (has(self.jwksUrl) ? 1 : 0) == 1", message = Jwt.ONE_KEY_SOURCE)
    public static class Jwt {
        /** The Secret keys read when secretRef / publicKeySecretRef / jwksSecretRef name none. */
        public static final String DEFAULT_SECRET_KEY = "secret";
        public static final String DEFAULT_PUBLIC_KEY = "public.pem";
        public static final String DEFAULT_JWKS_KEY = "jwks.json";
        public static final String ONE_KEY_SOURCE = "auth.jwt needs exactly one of secretRef (HMAC),"
                + " publicKeySecretRef (RSA), jwksSecretRef (a JWK Set) and jwksUrl";
        public static final int MAX_URL_LENGTH = 2048;

        @JsonPropertyDescription("HMAC shared secret, at least 32 bytes (key default: '" + DEFAULT_SECRET_KEY + "').")
        public SecretKeyRef secretRef;

        @JsonPropertyDescription("RSA public key in PEM, for RS256/384/512 and PS256/384/512 (key default: '"
                + DEFAULT_PUBLIC_KEY + "').")
        public SecretKeyRef publicKeySecretRef;

        @JsonPropertyDescription("A JWK Set (JSON) in a Secret, for any supported algorithm and several keys at once"
                + " (key default: '" + DEFAULT_JWKS_KEY + "'). Keys are chosen by the token's kid; the file is re-read"
                + " every 5 minutes and when a token names an unknown kid, so editing the Secret rotates keys with no"
                + " restart.")
        public SecretKeyRef jwksSecretRef;

        @JsonPropertyDescription("The identity provider's JWK Set URL (https). Keys are chosen by the token's kid and"
                + " re-fetched every 5 minutes and when a token names an unknown kid, so key rotation needs no"
                + " restart.")
        @Pattern("^https://[^\\s]+$")
        @Size(max = MAX_URL_LENGTH)
        public String jwksUrl;

        @JsonPropertyDescription("Accepted JWS algorithms. Default: every algorithm the keys can verify; never"
                + " 'none'.")
        @Size(max = 14)
        public List<Algorithm> algorithms;

        @JsonPropertyDescription("Clock skew tolerated on exp and nbf (a duration such as 30s; default 30s).")
        @Pattern(Durations.PATTERN)
        @Size(max = Durations.MAX_LENGTH)
        public String clockSkew;

        @JsonPropertyDescription("Required 'iss' claim, if set.")
        public String issuer;

        @JsonPropertyDescription("Required 'aud' claim, if set.")
        public String audience;

        @JsonPropertyDescription("Require the 'imcluster' permissions claim ({subscribe: [patterns], publish:"
                + " [patterns]}) in client tokens: a token without it may join, subscribe to and publish on nothing."
                + " Default false: a token without the claim may do everything.")
        public Boolean requirePermissions;

        /** The JWS algorithms the broker verifies (logic.auth.algorithms). */
        public enum Algorithm { HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512,
            EdDSA, Ed25519 }
    }
}
