package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;

/** Client-facing TLS on comet, and mutual TLS between the roles. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@io.fabric8.generator.annotation.ValidationRule(value = "has(self.secretName) || has(self.internal)",
        message = "tls needs secretName (client TLS), internal, or both")
public class TlsSpec {
    public static final String DEFAULT_CERTIFICATE_LIFETIME = "2160h";
    public static final String DEFAULT_RENEW_BEFORE = "720h";

    @JsonPropertyDescription("A kubernetes.io/tls Secret (tls.crt, tls.key) for comet's client listeners. Required "
            + "unless only internal is set.")
    @io.fabric8.generator.annotation.Pattern(Patterns.DNS_SUBDOMAIN)
    @io.fabric8.generator.annotation.Size(max = Patterns.NAME_MAX)
    public String secretName;

    @JsonPropertyDescription("Mutual TLS on every internal hop (comet to logic, job to comet, the roles to the "
            + "managed Redis, NATS and Mosquitto): a CA per cluster, a certificate per role, rotated before expiry "
            + "with no restart, and a server certificate for each managed backend, whose pod rolls when it is "
            + "renewed; the internal token stays as a second factor. See docs/SECURITY.md.")
    public Internal internal;

    /** Whether comet's client ports speak TLS. */
    @JsonIgnore
    public boolean hasClientCertificate() {
        return secretName != null && !secretName.isBlank();
    }

    /** Whether the roles talk mutual TLS. */
    @JsonIgnore
    public boolean internalEnabled() {
        return internal != null && Boolean.TRUE.equals(internal.enabled);
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Internal {
        @JsonPropertyDescription("Turn internal mutual TLS on: Secret <cluster>-internal-ca (the cluster's CA), "
                + "<cluster>-<role>-internal-tls per role and <cluster>-redis-internal-tls / "
                + "<cluster>-nats-internal-tls / <cluster>-mqtt-internal-tls for the managed backends (tls.crt, "
                + "tls.key, ca.crt), mounted in their pods.")
        public Boolean enabled;

        @JsonPropertyDescription("How long a role's certificate is valid (a duration such as 2160h, 90 days). The "
                + "CA lives four times as long.")
        @Default(DEFAULT_CERTIFICATE_LIFETIME)
        @io.fabric8.generator.annotation.Pattern(Durations.PATTERN)
        @io.fabric8.generator.annotation.Size(max = Durations.MAX_LENGTH)
        public String certificateLifetime;

        @JsonPropertyDescription("A certificate is replaced this long before it expires (720h, 30 days); shorter "
                + "than certificateLifetime.")
        @Default(DEFAULT_RENEW_BEFORE)
        @io.fabric8.generator.annotation.Pattern(Durations.PATTERN)
        @io.fabric8.generator.annotation.Size(max = Durations.MAX_LENGTH)
        public String renewBefore;

        @JsonPropertyDescription("A cert-manager Issuer or ClusterIssuer that signs the roles' certificates instead "
                + "of the operator's own CA: the operator then creates a cert-manager Certificate per role (and per "
                + "managed backend), and "
                + "cert-manager writes and renews the Secrets (its ca.crt must hold the issuing CA).")
        public IssuerRef issuerRef;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class IssuerRef {
        @JsonPropertyDescription("The Issuer's or ClusterIssuer's name.")
        @Required
        @io.fabric8.generator.annotation.Pattern(Patterns.DNS_SUBDOMAIN)
        @io.fabric8.generator.annotation.Size(max = Patterns.NAME_MAX)
        public String name;

        @JsonPropertyDescription("Issuer (in the cluster's namespace) or ClusterIssuer.")
        @Default("Issuer")
        @io.fabric8.generator.annotation.Pattern("^(Issuer|ClusterIssuer)$")
        public String kind;
    }
}
