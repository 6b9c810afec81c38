package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.ValidationRule;

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
    @ValidationRule(value = "has(self.secretRef) != has(self.publicKeySecretRef)",
            message = "auth.jwt needs exactly one of secretRef (HS256) and publicKeySecretRef (RS256)")
    public static class Jwt {
        /** The Secret keys read when secretRef / publicKeySecretRef name none. */
        public static final String DEFAULT_SECRET_KEY = "secret";
        public static final String DEFAULT_PUBLIC_KEY = "public.pem";

        @JsonPropertyDescription("HS256 shared secret (key default: '" + DEFAULT_SECRET_KEY + "').")
        public SecretKeyRef secretRef;

        @JsonPropertyDescription("RS256 public key in PEM (key default: '" + DEFAULT_PUBLIC_KEY + "').")
        public SecretKeyRef publicKeySecretRef;

        @JsonPropertyDescription("Required 'iss' claim, if set.")
        public String issuer;

        @JsonPropertyDescription("Required 'aud' claim, if set.")
        public String audience;
    }
}
