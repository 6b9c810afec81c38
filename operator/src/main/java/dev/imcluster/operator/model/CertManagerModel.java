package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.TlsSpec;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A cert-manager Certificate per role (and per managed backend, {@link ManagedBackend#withTls}) when
 * spec.tls.internal names an issuerRef, built untyped (cert-manager's CRDs may not exist): the same Secret name, DNS
 * names, lifetime and renewal as the operator's own CA would give, an ECDSA P-256 key in PKCS#8 (what Kafka needs
 * too), rotated with each renewal. cert-manager writes tls.crt, tls.key and ca.crt (the issuing CA, for CA issuers)
 * and renews them; the roles reload them from the volume, the backends roll (their pod template's certificate hash).
 */
public final class CertManagerModel {
    public static final String GROUP = "cert-manager.io";
    public static final String VERSION = "v1";
    public static final String KIND = "Certificate";
    public static final String PLURAL = "certificates";

    private CertManagerModel() {
    }

    /** Whether the cluster's internal certificates come from cert-manager. */
    public static boolean wanted(PubSubCluster c) {
        return c.getSpec().tls != null && c.getSpec().tls.internalEnabled() && c.getSpec().tls.internal.issuerRef != null;
    }

    public static GenericKubernetesResource desired(PubSubCluster c, Role role) {
        return desired(c, Names.internalTls(c, role), "broker", Names.role(c, role),
                InternalCertificates.dnsNames(c, role));
    }

    /** A managed backend's server certificate (the same names the operator's own CA would give it). */
    public static GenericKubernetesResource desired(PubSubCluster c, ManagedBackend backend) {
        return desired(c, Names.internalTls(c, backend), backend.id(), backend.service(c),
                InternalCertificates.dnsNames(c, backend));
    }

    private static GenericKubernetesResource desired(PubSubCluster c, String secret, String component,
                                                     String commonName, List<String> dnsNames) {
        TlsSpec.Internal internal = c.getSpec().tls.internal;
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("secretName", secret);
        spec.put("secretTemplate", Map.of("labels", Labels.all(c, component)));
        spec.put("commonName", commonName);
        spec.put("dnsNames", dnsNames);
        // The CRD's durations are Go durations as cert-manager reads them.
        spec.put("duration", internal.certificateLifetime == null ? TlsSpec.DEFAULT_CERTIFICATE_LIFETIME
                : internal.certificateLifetime);
        spec.put("renewBefore", internal.renewBefore == null ? TlsSpec.DEFAULT_RENEW_BEFORE : internal.renewBefore);
        spec.put("usages", List.of("digital signature", "server auth", "client auth"));
        spec.put("privateKey", Map.of("algorithm", "ECDSA", "size", 256, "encoding", "PKCS8",
                "rotationPolicy", "Always"));
        spec.put("issuerRef", Map.of("group", GROUP, "kind",
                internal.issuerRef.kind == null ? "Issuer" : internal.issuerRef.kind, "name", internal.issuerRef.name));
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(GROUP + "/" + VERSION)
                .withKind(KIND)
                .withNewMetadata()
                    .withName(secret)
                    .withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Labels.all(c, component))
                .endMetadata()
                .withAdditionalProperties(Map.of("spec", spec))
                .build();
    }
}
