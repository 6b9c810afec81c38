package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** The internal TLS Secrets: an {@link InternalCertificates.Plan} written as Secrets, and Secrets read back as PEM. */
public final class InternalTlsSecrets {
    private InternalTlsSecrets() {
    }

    /** The CA Secret of {@code plan}: Opaque, the PEM text base64 in data (as the API server returns it). */
    public static Secret caSecret(PubSubCluster c, InternalCertificates.Plan plan) {
        return secret(c, Names.internalCa(c), "Opaque", plan.ca());
    }

    /** A role's Secret of {@code plan}: kubernetes.io/tls with the CA bundle beside. */
    public static Secret roleSecret(PubSubCluster c, Role role, InternalCertificates.Plan plan) {
        return secret(c, Names.internalTls(c, role), "kubernetes.io/tls", plan.roles().get(role));
    }

    /** A managed backend's Secret of {@code plan}: kubernetes.io/tls with the CA bundle beside. */
    public static Secret backendSecret(PubSubCluster c, ManagedBackend backend, InternalCertificates.Plan plan) {
        return secret(c, Names.internalTls(c, backend), "kubernetes.io/tls", plan.backends().get(backend));
    }

    /** The PEM text of a Secret's data, by key (empty for an absent Secret). */
    public static Map<String, String> pemData(Secret secret) {
        Map<String, String> pem = new LinkedHashMap<>();
        if (secret != null && secret.getData() != null) {
            secret.getData().forEach((k, v) -> {
                try {
                    pem.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.US_ASCII));
                } catch (IllegalArgumentException e) {
                    // not base64: as if absent, so it is replaced
                }
            });
        }
        return pem;
    }

    private static Secret secret(PubSubCluster c, String name, String type, Map<String, String> pem) {
        Map<String, String> data = new LinkedHashMap<>();
        pem.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v.getBytes(StandardCharsets.US_ASCII))));
        return new SecretBuilder()
                .withNewMetadata()
                    .withName(name)
                    .withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Labels.all(c, "broker"))
                .endMetadata()
                .withType(type)
                .withData(data)
                .build();
    }
}
