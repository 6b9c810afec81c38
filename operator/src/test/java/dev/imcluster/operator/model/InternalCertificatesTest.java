package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.TlsSpec;
import dev.imcluster.operator.model.InternalCertificates.Plan;
import dev.imcluster.operator.model.InternalCertificates.Reason;
import dev.imcluster.operator.model.InternalCertificates.Rotation;
import dev.imcluster.operator.testing.Examples;
import org.junit.jupiter.api.Test;

import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The internal CA and the roles' certificates, decided from the Secrets and the time (a fixed Clock moved by
 * hand): first issue, a steady state that changes nothing, renewal before expiry, and a CA rotation whose new CA
 * is in every bundle before any certificate of it is used.
 */
class InternalCertificatesTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration LIFETIME = Duration.ofHours(10);
    private static final Duration RENEW = Duration.ofHours(2);

    private static PubSubCluster cluster() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().tls = new TlsSpec();
        c.getSpec().tls.internal = new TlsSpec.Internal();
        c.getSpec().tls.internal.enabled = true;
        c.getSpec().tls.internal.certificateLifetime = "10h";
        c.getSpec().tls.internal.renewBefore = "2h";
        return c;
    }

    private static final PubSubCluster C = cluster();

    private Clock clock = Clock.fixed(Instant.parse("2026-12-06T00:00:00Z"), ZoneOffset.UTC);

    private void advance(Duration d) {
        clock = Clock.offset(clock, d);
    }

    private Plan plan(Plan before) {
        return InternalCertificates.plan(C, before == null ? Map.of() : before.ca(),
                before == null ? Map.of() : before.roles(), before == null ? Map.of() : before.backends(),
                clock.instant(), RANDOM);
    }

    private static X509Certificate cert(String pem) {
        return X509Certificates.parseCertificates(pem).get(0);
    }

    private static X509Certificate leaf(Plan p, Role role) {
        return cert(p.roles().get(role).get(InternalCertificates.TLS_CERT));
    }

    /** Checks {@code leaf} as the JDK's PKIX trust manager does, against the role's CA bundle, at the real time. */
    private static void trusted(Plan p, Role role, X509Certificate leaf) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        List<X509Certificate> bundle = X509Certificates.parseCertificates(p.roles().get(role)
                .get(InternalCertificates.CA_CERT));
        for (int i = 0; i < bundle.size(); i++) {
            store.setCertificateEntry("ca" + i, bundle.get(i));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(store);
        X509TrustManager tm = (X509TrustManager) tmf.getTrustManagers()[0];
        tm.checkClientTrusted(new X509Certificate[] {leaf}, "EC");
        tm.checkServerTrusted(new X509Certificate[] {leaf}, "ECDHE_ECDSA");
    }

    private static List<String> rotated(Plan p) {
        return p.rotations().stream().map(r -> r.certificate() + ":" + r.reason().tag()).toList();
    }

    @Test
    void aNewClusterGetsACaAndOneCertificatePerRoleThatChainToIt() throws Exception {
        // The real time: the JDK's trust manager checks validity against it.
        clock = Clock.systemUTC();
        Instant before = clock.instant();
        Plan p = plan(null);
        Instant after = clock.instant();
        assertThat(rotated(p)).containsExactly("ca:issued", "comet:issued", "logic:issued", "job:issued",
                "redis:issued");
        X509Certificate ca = cert(p.ca().get(InternalCertificates.CA_CERT));
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        // Issued at some instant of the call (the real clock may pass a second boundary meanwhile).
        assertThat(ca.getNotAfter().toInstant()).isBetween(before.plus(LIFETIME.multipliedBy(4))
                .truncatedTo(java.time.temporal.ChronoUnit.SECONDS), after.plus(LIFETIME.multipliedBy(4)));
        assertThat(X509Certificates.parseKey(p.ca().get(InternalCertificates.CA_KEY))).isNotNull();
        for (Role role : Role.values()) {
            X509Certificate leaf = leaf(p, role);
            trusted(p, role, leaf);
            assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
            assertThat(leaf.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
            assertThat(p.roles().get(role).get(InternalCertificates.CA_CERT))
                    .isEqualTo(p.ca().get(InternalCertificates.CA_CERT));
        }
        assertThat(leaf(p, Role.COMET).getSubjectAlternativeNames().stream().map(san -> (String) san.get(1)))
                .containsExactlyInAnyOrder("quickstart-comet", "quickstart-comet.demo",
                        "quickstart-comet.demo.svc", "quickstart-comet-headless",
                        "quickstart-comet-headless.demo", "quickstart-comet-headless.demo.svc",
                        "*.quickstart-comet-headless.demo.svc", "quickstart.demo.imcluster.internal");
        assertThat(leaf(p, Role.JOB).getSubjectAlternativeNames().stream().map(san -> (String) san.get(1)))
                .containsExactly("quickstart.demo.imcluster.internal");
        assertThat(p.nextCheck()).isEqualTo(leaf(p, Role.COMET).getNotAfter().toInstant().minus(RENEW));
    }

    @Test
    void theBrokerLoadsWhatTheSecretsHold(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Plan p = plan(null);
        for (Role role : Role.values()) {
            dev.imcluster.broker.config.SecurityConfig.InternalTlsConfig files =
                    new dev.imcluster.broker.config.SecurityConfig.InternalTlsConfig();
            Map<String, String> data = p.roles().get(role);
            files.certFile = java.nio.file.Files.writeString(dir.resolve(role.id() + ".crt"),
                    data.get(InternalCertificates.TLS_CERT)).toString();
            files.keyFile = java.nio.file.Files.writeString(dir.resolve(role.id() + ".key"),
                    data.get(InternalCertificates.TLS_KEY)).toString();
            files.caFile = java.nio.file.Files.writeString(dir.resolve(role.id() + "-ca.crt"),
                    data.get(InternalCertificates.CA_CERT)).toString();
            try (var tls = dev.imcluster.broker.security.InternalTls.start(files,
                    new io.micrometer.core.instrument.simple.SimpleMeterRegistry())) {
                assertThat(tls).isNotNull();
            }
        }
    }

    @Test
    void theSecretsAsTheyAreChangeNothing() {
        Plan first = plan(null);
        advance(Duration.ofHours(1));
        Plan again = plan(first);
        assertThat(again.rotations()).isEmpty();
        assertThat(again.ca()).isEqualTo(first.ca());
        assertThat(again.roles()).isEqualTo(first.roles());
        assertThat(again.backends()).isEqualTo(first.backends());
    }

    @Test
    void certificatesAreReissuedWithinRenewBeforeOfTheirExpiry() throws Exception {
        Plan first = plan(null);
        advance(Duration.between(clock.instant(), first.nextCheck()).minusSeconds(1));
        assertThat(plan(first).rotations()).isEmpty();
        advance(Duration.ofSeconds(2));
        Plan renewed = plan(first);
        assertThat(rotated(renewed)).containsExactly("comet:expiring", "logic:expiring", "job:expiring",
                "redis:expiring");
        assertThat(renewed.ca()).isEqualTo(first.ca());
        assertThat(leaf(renewed, Role.LOGIC).getNotAfter().toInstant())
                .isAfter(leaf(first, Role.LOGIC).getNotAfter().toInstant());
        assertThat(renewed.nextCheck()).isAfter(clock.instant());
    }

    @Test
    void theCaRollsWithAnOverlapTheNewCaIsTrustedBeforeAnyCertificateOfItIsUsed() {
        Plan p = plan(null);
        Instant caNotAfter = p.notAfter().get("ca");
        X509Certificate oldCa = cert(p.ca().get(InternalCertificates.CA_CERT));
        // Renew the leaves until the CA has less than one lifetime plus renewBefore left.
        while (clock.instant().isBefore(caNotAfter.minus(LIFETIME).minus(RENEW))) {
            advance(Duration.between(clock.instant(), p.nextCheck()).plusSeconds(1));
            p = plan(p);
        }
        assertThat(rotated(p)).contains("ca:expiring");
        X509Certificate newCa = cert(p.ca().get(InternalCertificates.CA_CERT));
        assertThat(newCa).isNotEqualTo(oldCa);
        // 1. Both CAs in every bundle; the certificates are still the old CA's.
        for (Role role : Role.values()) {
            assertThat(X509Certificates.parseCertificates(p.roles().get(role).get(InternalCertificates.CA_CERT)))
                    .containsExactly(newCa, oldCa);
            assertThat(X509Certificates.signedBy(leaf(p, role), oldCa)).as(role.id()).isTrue();
        }
        assertThat(X509Certificates.parseCertificates(p.backends().get(ManagedBackend.REDIS)
                .get(InternalCertificates.CA_CERT))).containsExactly(newCa, oldCa);
        Instant settled = clock.instant().plus(InternalCertificates.PROPAGATION);
        assertThat(p.nextCheck()).isBeforeOrEqualTo(settled);
        // 2. Once every role has had the time to reload the bundle, the certificates switch to the new CA.
        advance(Duration.ofSeconds(30));
        assertThat(plan(p).rotations()).isEmpty();
        advance(Duration.between(clock.instant(), settled));
        p = plan(p);
        assertThat(rotated(p)).containsExactly("comet:ca_rotated", "logic:ca_rotated", "job:ca_rotated",
                "redis:ca_rotated");
        for (Role role : Role.values()) {
            assertThat(X509Certificates.signedBy(leaf(p, role), newCa)).isTrue();
        }
        // 3. The old CA leaves the bundles when it expires.
        assertThat(p.nextCheck()).isBeforeOrEqualTo(oldCa.getNotAfter().toInstant());
        advance(Duration.between(clock.instant(), oldCa.getNotAfter().toInstant()).plusSeconds(1));
        p = plan(p);
        assertThat(p.ca()).doesNotContainKey(InternalCertificates.PREVIOUS_CA_CERT);
        assertThat(X509Certificates.parseCertificates(p.roles().get(Role.JOB).get(InternalCertificates.CA_CERT)))
                .containsExactly(newCa);
    }

    @Test
    void aCertificateOfAVanishedCaOrAnUnreadableSecretIsReplacedAtOnce() {
        Plan p = plan(null);
        Plan other = InternalCertificates.plan(C, Map.of(), Map.of(), Map.of(), clock.instant(), RANDOM);
        // The CA Secret was deleted and recreated: no overlap is possible, so the roles switch now.
        Plan replaced = InternalCertificates.plan(C, other.ca(), p.roles(), p.backends(), clock.instant(), RANDOM);
        assertThat(rotated(replaced)).containsExactly("comet:ca_rotated", "logic:ca_rotated", "job:ca_rotated",
                "redis:ca_rotated");
        Plan broken = InternalCertificates.plan(C, p.ca(), Map.of(Role.COMET, Map.of("tls.crt", "garbage")),
                p.backends(), clock.instant(), RANDOM);
        assertThat(broken.rotations()).extracting(Rotation::reason).containsOnly(Reason.ISSUED);
    }

    @Test
    void theManagedBackendsGetAServerCertificateOfTheSameCaNamedAfterTheirService() throws Exception {
        clock = Clock.systemUTC();
        PubSubCluster nats = Examples.load("nats.yaml");
        nats.getSpec().tls = C.getSpec().tls;
        assertThat(nats.getSpec().mq.nats.isManaged()).as("the example runs its NATS").isTrue();
        Plan p = InternalCertificates.plan(nats, Map.of(), Map.of(), Map.of(), clock.instant(), RANDOM);
        String ns = nats.getMetadata().getNamespace();
        String name = nats.getMetadata().getName();
        assertThat(p.backends()).containsOnlyKeys(ManagedBackend.withTls(nats));
        for (ManagedBackend backend : p.backends().keySet()) {
            Map<String, String> data = p.backends().get(backend);
            X509Certificate leaf = cert(data.get(InternalCertificates.TLS_CERT));
            assertThat(X509Certificates.signedBy(leaf, cert(p.ca().get(InternalCertificates.CA_CERT)))).isTrue();
            assertThat(data.get(InternalCertificates.CA_CERT)).isEqualTo(p.ca().get(InternalCertificates.CA_CERT));
            assertThat(leaf.getExtendedKeyUsage()).contains("1.3.6.1.5.5.7.3.1");
            String svc = name + "-" + backend.id();
            assertThat(leaf.getSubjectAlternativeNames().stream().map(san -> (String) san.get(1)))
                    .as("not the roles' shared name").containsExactlyInAnyOrder(svc, svc + "." + ns,
                            svc + "." + ns + ".svc");
            assertThat(p.notAfter()).containsKey(backend.id());
        }
        assertThat(p.backends()).containsKey(ManagedBackend.NATS);
        assertThat(rotated(p)).contains("nats:issued");

        PubSubCluster plain = Examples.load("nats.yaml");
        assertThat(ManagedBackend.withTls(plain)).as("no internal TLS, no backend TLS").isEmpty();
    }

    @Test
    void durationsOfTheCrdSyntax() {
        assertThat(InternalCertificates.duration("2160h")).isEqualTo(Duration.ofDays(90));
        assertThat(InternalCertificates.duration("1h30m10s")).isEqualTo(Duration.ofSeconds(5410));
        PubSubCluster defaults = cluster();
        defaults.getSpec().tls.internal.certificateLifetime = null;
        defaults.getSpec().tls.internal.renewBefore = null;
        assertThat(InternalCertificates.Settings.of(defaults))
                .isEqualTo(new InternalCertificates.Settings(Duration.ofDays(90), Duration.ofDays(30)));
    }
}
