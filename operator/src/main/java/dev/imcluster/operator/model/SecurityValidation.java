package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.AuthSpec;
import dev.imcluster.operator.api.v1alpha1.TlsSpec;

import java.util.List;

/** spec.auth and spec.tls: one JWT key source, claim lengths, and internal TLS durations that fit a CA rotation. */
final class SecurityValidation {
    private SecurityValidation() {
    }

    /** Longest accepted JWT issuer or audience (they go into the config file of every pod). */
    static final int MAX_CLAIM = 1024;

    /** Exactly one source of JWT keys. */
    static void jwtKeySource(AuthSpec auth, List<String> p) {
        if (auth != null && auth.jwt != null && java.util.stream.Stream.of(auth.jwt.secretRef,
                        auth.jwt.publicKeySecretRef, auth.jwt.jwksSecretRef, auth.jwt.jwksUrl)
                .filter(java.util.Objects::nonNull).count() != 1) {
            p.add("spec." + AuthSpec.Jwt.ONE_KEY_SOURCE);
        }
    }

    /** Issuer and audience go into every pod's config file. */
    static void jwtClaims(AuthSpec auth, List<String> p) {
        if (auth != null && auth.jwt != null) {
            maxLength("spec.auth.jwt.issuer", auth.jwt.issuer, MAX_CLAIM, p);
            maxLength("spec.auth.jwt.audience", auth.jwt.audience, MAX_CLAIM, p);
        }
    }

    /** spec.tls turns on client TLS, internal TLS, or both. */
    static void tls(TlsSpec tls, List<String> p) {
        if (tls != null && !tls.hasClientCertificate() && tls.internal == null) {
            p.add("spec.tls needs secretName (client TLS), internal, or both");
        }
        if (tls != null && tls.internal != null) {
            internalTls(tls.internal, p);
        }
    }

    private static void maxLength(String at, String value, int max, List<String> p) {
        if (value != null && value.length() > max) {
            p.add(at + " has " + value.length() + " characters; at most " + max + " are accepted");
        }
    }

    /** Durations the schema checks for syntax only: renewBefore must leave room for a CA rotation's overlap. */
    private static void internalTls(dev.imcluster.operator.api.v1alpha1.TlsSpec.Internal internal, List<String> p) {
        InternalCertificates.Settings settings;
        try {
            settings = new InternalCertificates.Settings(
                    InternalCertificates.duration(internal.certificateLifetime == null
                            ? dev.imcluster.operator.api.v1alpha1.TlsSpec.DEFAULT_CERTIFICATE_LIFETIME
                            : internal.certificateLifetime),
                    InternalCertificates.duration(internal.renewBefore == null
                            ? dev.imcluster.operator.api.v1alpha1.TlsSpec.DEFAULT_RENEW_BEFORE : internal.renewBefore));
        } catch (ArithmeticException e) {
            p.add("spec.tls.internal: certificateLifetime or renewBefore is too long");
            return;
        }
        if (settings.renewBefore().compareTo(InternalCertificates.MIN_RENEW_BEFORE) < 0) {
            p.add("spec.tls.internal.renewBefore must be at least 5m (a CA rotation waits "
                    + InternalCertificates.PROPAGATION.toMinutes() + "m for every role to trust the new CA)");
        }
        if (settings.lifetime().compareTo(settings.renewBefore()) <= 0) {
            p.add("spec.tls.internal.certificateLifetime must be longer than renewBefore");
        }
    }
}
