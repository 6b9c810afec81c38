package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.CertManagerModel;
import dev.imcluster.operator.model.InternalCertificates;
import dev.imcluster.operator.model.InternalTlsSecrets;
import dev.imcluster.operator.model.ManagedBackend;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.Role;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;

/**
 * The internal certificates of a cluster whose spec.tls.internal the operator serves with its own CA: reads the
 * Secrets as they are, plans them ({@link InternalCertificates}) for the dependents, and, once the workflow wrote
 * them, announces each (re)issued certificate as an Event and in
 * {@code imcluster_operator_certificate_rotations_total{certificate,reason}}, keeps
 * {@code imcluster_operator_certificate_expiry_seconds{namespace,cluster,certificate}} (Unix time) and says when
 * to look again.
 */
final class CertificateRotation {
    /** The earliest a planned check is scheduled: a plan that is due now was just applied. */
    static final Duration MIN_RECHECK = Duration.ofSeconds(5);
    static final Duration CERT_MANAGER_RECHECK = Duration.ofHours(1);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final MeterRegistry registry;
    private final Clock clock;
    private final ClusterGauges gauges;

    CertificateRotation(MeterRegistry registry, ClusterGauges gauges, Clock clock) {
        this.registry = registry;
        this.gauges = gauges;
        this.clock = clock;
    }

    /** Whether the operator issues the cluster's internal certificates (not cert-manager). */
    static boolean ownCa(PubSubCluster c) {
        return c.getSpec().tls != null && c.getSpec().tls.internalEnabled() && c.getSpec().tls.internal.issuerRef == null;
    }

    /** The plan for the Secrets as they are now, or null when the operator issues none. */
    InternalCertificates.Plan plan(PubSubCluster c, KubernetesClient client) {
        if (!ownCa(c)) {
            return null;
        }
        String ns = c.getMetadata().getNamespace();
        Map<Role, Map<String, String>> roles = new EnumMap<>(Role.class);
        for (Role role : Role.values()) {
            roles.put(role, InternalTlsSecrets.pemData(read(client, ns, Names.internalTls(c, role))));
        }
        Map<ManagedBackend, Map<String, String>> backends = new EnumMap<>(ManagedBackend.class);
        for (ManagedBackend backend : ManagedBackend.withTls(c)) {
            backends.put(backend, InternalTlsSecrets.pemData(read(client, ns, Names.internalTls(c, backend))));
        }
        return InternalCertificates.plan(c, InternalTlsSecrets.pemData(read(client, ns, Names.internalCa(c))), roles,
                backends, clock.instant(), RANDOM);
    }

    /**
     * Each managed backend's certificate (PEM by key) as this reconciliation leaves it: from {@code plan} with the
     * operator's own CA, as cert-manager wrote it with an issuerRef (only once it holds a certificate).
     */
    static Map<ManagedBackend, Map<String, String>> backendCertificates(PubSubCluster c, InternalCertificates.Plan plan,
                                                                       KubernetesClient client) {
        if (plan != null) {
            return plan.backends();
        }
        Map<ManagedBackend, Map<String, String>> certs = new EnumMap<>(ManagedBackend.class);
        if (CertManagerModel.wanted(c)) {
            for (ManagedBackend backend : ManagedBackend.withTls(c)) {
                Map<String, String> pem = InternalTlsSecrets.pemData(read(client, c.getMetadata().getNamespace(),
                        Names.internalTls(c, backend)));
                if (pem.containsKey(InternalCertificates.TLS_CERT)) {
                    certs.put(backend, pem);
                }
            }
        }
        return certs;
    }

    private static Secret read(KubernetesClient client, String ns, String name) {
        return client.secrets().inNamespace(ns).withName(name).get();
    }

    /** After the Secrets of {@code plan} were written: Events, metrics. */
    void announce(PubSubCluster c, InternalCertificates.Plan plan, EventRecorder events) {
        for (InternalCertificates.Rotation r : plan.rotations()) {
            Counter.builder("imcluster.operator.certificate.rotations")
                    .description("Internal certificates issued by the operator, by certificate (ca, a role, redis"
                            + " or nats) and"
                            + " reason (issued, expiring, ca_rotated, names_changed)")
                    .tag("certificate", r.certificate()).tag("reason", r.reason().tag())
                    .register(registry).increment();
            String what = r.certificate().equals("ca") ? "the internal CA"
                    : isBackend(r.certificate()) ? "the managed " + r.certificate() + "'s server certificate"
                    : "the " + r.certificate() + " role's internal certificate";
            events.normal(c, r.reason() == InternalCertificates.Reason.ISSUED ? "CertificateIssued"
                    : "CertificateRotated", "Issued " + what + " (" + r.reason().tag() + "), valid until "
                    + r.notAfter());
        }
        plan.notAfter().forEach((certificate, notAfter) -> gauges.value(c, "imcluster.operator.certificate.expiry",
                "Expiry (Unix time) of each internal certificate the operator issued", "seconds",
                Tag.of("certificate", certificate)).set(notAfter.getEpochSecond()));
    }

    private static boolean isBackend(String certificate) {
        for (ManagedBackend b : ManagedBackend.values()) {
            if (b.id().equals(certificate)) {
                return true;
            }
        }
        return false;
    }

    /**
     * How often to look at cert-manager's backend Secrets: a quarter of renewBefore (its renewed certificate then
     * reaches the backend with three quarters of that margin left), at most an hour.
     */
    static Duration certManagerRecheck(PubSubCluster c) {
        Duration quarter = InternalCertificates.Settings.of(c).renewBefore().dividedBy(4);
        Duration d = quarter.compareTo(CERT_MANAGER_RECHECK) > 0 ? CERT_MANAGER_RECHECK : quarter;
        return d.compareTo(MIN_RECHECK) < 0 ? MIN_RECHECK : d;
    }

    /** How long until the plan may change (at least {@link #MIN_RECHECK}). */
    Duration recheck(InternalCertificates.Plan plan) {
        Duration d = Duration.between(Instant.now(clock), plan.nextCheck());
        return d.compareTo(MIN_RECHECK) < 0 ? MIN_RECHECK : d;
    }
}
