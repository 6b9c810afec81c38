package dev.imcluster.operator.model;

import dev.imcluster.common.pki.KeyPairs;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.TlsSpec;

import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator's own CA per cluster, a certificate per role and a server certificate per managed backend
 * ({@code spec.tls.internal}, {@link ManagedBackend}), as a pure decision
 * from the Secrets as they are and the time: what each Secret must hold now, which certificates were (re)issued
 * and why, and when to look again.
 *
 * <ul>
 *   <li>A role's (or backend's) certificate is reissued when it is missing or unreadable, within {@code renewBefore} of its
 *       expiry, names other DNS names than it should, or was signed by a CA that is gone.</li>
 *   <li>The CA (valid {@value #CA_LIFETIMES} certificate lifetimes) is replaced when less than one certificate
 *       lifetime plus {@code renewBefore} is left, so every certificate it signed can live out its life. The old
 *       CA stays in every bundle ({@code ca.crt} of the roles' Secrets) until it expires; the roles' certificates
 *       switch to the new CA only {@link #PROPAGATION} after it joined the bundles, so every role trusts a new
 *       certificate before any peer presents one.</li>
 * </ul>
 */
public final class InternalCertificates {
    public static final String CA_CERT = "ca.crt";
    public static final String CA_KEY = "ca.key";
    /** In the CA Secret during a CA rotation: the CA being replaced, still trusted until it expires. */
    public static final String PREVIOUS_CA_CERT = "previous.crt";
    public static final String TLS_CERT = "tls.crt";
    public static final String TLS_KEY = "tls.key";
    /** How many certificate lifetimes a CA is valid. */
    static final int CA_LIFETIMES = 4;
    /** Certificates start this far in the past: clocks of nodes and the API server differ a little. */
    static final Duration BACKDATE = Duration.ofMinutes(5);
    /**
     * From a new CA in the Secrets to every role trusting it: kubelet's Secret volume sync (about a minute) plus
     * the broker's reloadInterval (30 s).
     */
    public static final Duration PROPAGATION = Duration.ofMinutes(2);
    /** The shortest renewBefore accepted: a certificate must outlive a CA's propagation. */
    public static final Duration MIN_RENEW_BEFORE = Duration.ofMinutes(5);

    private static final Pattern DURATION_PART = Pattern.compile("([0-9]+)(ms|s|m|h)");

    /** Why a certificate was (re)issued: a Kubernetes Event and a metric tag. */
    public enum Reason {
        /** There was none (or it could not be read). */
        ISSUED("issued"),
        /** Within renewBefore of its expiry. */
        EXPIRING("expiring"),
        /** Signed by a CA that was replaced (or is gone). */
        CA_ROTATED("ca_rotated"),
        /** The Services whose names it must carry changed. */
        NAMES_CHANGED("names_changed");

        private final String tag;

        Reason(String tag) {
            this.tag = tag;
        }

        public String tag() {
            return tag;
        }
    }

    /** One certificate issued by this plan: {@code "ca"}, a role's or a managed backend's id. */
    public record Rotation(String certificate, Reason reason, Instant notAfter) {
    }

    /**
     * What the Secrets must hold (PEM text by key; the CA's, each role's, and each managed backend's that serves
     * TLS, see {@link ManagedBackend#withTls}), the certificates issued, the expiry of each certificate in use
     * ({@code "ca"}, role and backend ids) and when the plan may change next.
     */
    public record Plan(Map<String, String> ca, Map<Role, Map<String, String>> roles,
                       Map<ManagedBackend, Map<String, String>> backends, List<Rotation> rotations,
                       Map<String, Instant> notAfter, Instant nextCheck) {
    }

    /** certificateLifetime and renewBefore of the spec, defaults applied. */
    public record Settings(Duration lifetime, Duration renewBefore) {
        public static Settings of(PubSubCluster c) {
            TlsSpec.Internal internal = c.getSpec().tls == null ? null : c.getSpec().tls.internal;
            String lifetime = internal == null || internal.certificateLifetime == null
                    ? TlsSpec.DEFAULT_CERTIFICATE_LIFETIME : internal.certificateLifetime;
            String renew = internal == null || internal.renewBefore == null
                    ? TlsSpec.DEFAULT_RENEW_BEFORE : internal.renewBefore;
            return new Settings(duration(lifetime), duration(renew));
        }
    }

    private InternalCertificates() {
    }

    /** A duration of the CRD's syntax (1h30m, 200ms). */
    public static Duration duration(String text) {
        Matcher m = DURATION_PART.matcher(text);
        Duration d = Duration.ZERO;
        while (m.find()) {
            long n = Long.parseLong(m.group(1));
            d = d.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
        }
        return d;
    }

    /** The name every role's certificate carries and every role checks (the broker's internalTls.serverName). */
    public static String serverName(PubSubCluster c) {
        return c.getMetadata().getName() + "." + c.getMetadata().getNamespace() + ".imcluster.internal";
    }

    /** The DNS names of a role's certificate: its Services' names, and {@link #serverName}. */
    public static List<String> dnsNames(PubSubCluster c, Role role) {
        List<String> names = new ArrayList<>();
        String ns = c.getMetadata().getNamespace();
        List<String> services = switch (role) {
            case COMET -> List.of(Names.role(c, Role.COMET), Names.cometHeadless(c));
            case LOGIC -> List.of(Names.role(c, Role.LOGIC));
            case JOB -> List.of(); // only a client
        };
        for (String svc : services) {
            names.add(svc);
            names.add(svc + "." + ns);
            names.add(svc + "." + ns + ".svc");
        }
        if (role == Role.COMET) {
            names.add("*." + Names.cometHeadless(c) + "." + ns + ".svc"); // each comet pod's own name
        }
        names.add(serverName(c));
        return names;
    }

    /**
     * The DNS names of a managed backend's server certificate: its Service's names. Not {@link #serverName}: a
     * backend is no role, and the roles dial it by its Service's name. Its StatefulSet's Service is not headless,
     * so its pods have no names of their own.
     */
    public static List<String> dnsNames(PubSubCluster c, ManagedBackend backend) {
        String svc = backend.service(c);
        String ns = c.getMetadata().getNamespace();
        return List.of(svc, svc + "." + ns, svc + "." + ns + ".svc");
    }

    /**
     * The plan for cluster {@code c} at {@code now}, from the current CA Secret's, role Secrets' and backend
     * Secrets' data (PEM text by key; empty maps for absent Secrets).
     */
    public static Plan plan(PubSubCluster c, Map<String, String> currentCa, Map<Role, Map<String, String>> currentRoles,
                            Map<ManagedBackend, Map<String, String>> currentBackends, Instant now,
                            SecureRandom random) {
        Settings settings = Settings.of(c);
        List<Rotation> rotations = new ArrayList<>();
        List<Instant> checks = new ArrayList<>();
        Map<String, Instant> notAfter = new LinkedHashMap<>();

        X509Certificate caCert = first(currentCa.get(CA_CERT));
        PrivateKey caKey = X509Certificates.parseKey(currentCa.get(CA_KEY));
        X509Certificate previous = first(currentCa.get(PREVIOUS_CA_CERT));
        X509Certificates.Issued ca;
        Duration caRenewal = settings.lifetime().plus(settings.renewBefore());
        if (caCert == null || caKey == null || !KeyPairs.matches(caKey, caCert.getPublicKey())
                || caCert.getNotAfter().toInstant().isBefore(now.plus(caRenewal))) {
            Reason reason = caCert == null || caKey == null || !KeyPairs.matches(caKey, caCert.getPublicKey())
                    ? Reason.ISSUED : Reason.EXPIRING;
            if (caCert != null && caCert.getNotAfter().toInstant().isAfter(now)) {
                previous = caCert; // trusted on until it expires, while the roles' certificates switch
            }
            Instant start = now.minus(BACKDATE);
            ca = X509Certificates.authority(c.getMetadata().getName() + "." + c.getMetadata().getNamespace()
                            + " imcluster internal CA " + start.getEpochSecond(), start,
                    now.plus(settings.lifetime().multipliedBy(CA_LIFETIMES)), random);
            rotations.add(new Rotation("ca", reason, ca.certificate().getNotAfter().toInstant()));
        } else {
            ca = new X509Certificates.Issued(caCert, caKey);
        }
        if (previous != null && !previous.getNotAfter().toInstant().isAfter(now)) {
            previous = null;
        }
        Instant caNotAfter = ca.certificate().getNotAfter().toInstant();
        notAfter.put("ca", caNotAfter);
        checks.add(caNotAfter.minus(caRenewal));
        if (previous != null) {
            checks.add(previous.getNotAfter().toInstant()); // then it leaves the bundle
        }

        Map<String, String> caData = new LinkedHashMap<>();
        caData.put(CA_CERT, ca.certificatePem());
        caData.put(CA_KEY, ca.keyPem());
        String bundle = ca.certificatePem();
        if (previous != null) {
            caData.put(PREVIOUS_CA_CERT, X509Certificates.pem(previous));
            bundle += X509Certificates.pem(previous);
        }
        // Certificates of a new CA only once every role has had the time to trust it.
        Instant caSettled = ca.certificate().getNotBefore().toInstant().plus(BACKDATE).plus(PROPAGATION);

        Leaves leaves = new Leaves(ca, previous, bundle, caSettled, caNotAfter, settings, now, random, rotations,
                checks, notAfter);
        Map<Role, Map<String, String>> roles = new EnumMap<>(Role.class);
        for (Role role : Role.values()) {
            roles.put(role, leaves.issue(role.id(), Names.role(c, role), dnsNames(c, role),
                    currentRoles.getOrDefault(role, Map.of())));
        }
        Map<ManagedBackend, Map<String, String>> backends = new EnumMap<>(ManagedBackend.class);
        for (ManagedBackend backend : ManagedBackend.withTls(c)) {
            backends.put(backend, leaves.issue(backend.id(), backend.service(c), dnsNames(c, backend),
                    currentBackends.getOrDefault(backend, Map.of())));
        }
        Instant next = checks.stream().min(Instant::compareTo).orElseThrow();
        return new Plan(caData, roles, backends, rotations, notAfter, next);
    }

    /** Issues (or keeps) the leaf certificates of one CA, recording rotations, expiries and the next check. */
    private record Leaves(X509Certificates.Issued ca, X509Certificate previous, String bundle, Instant caSettled,
                          Instant caNotAfter, Settings settings, Instant now, SecureRandom random,
                          List<Rotation> rotations, List<Instant> checks, Map<String, Instant> notAfter) {

        /** The Secret data of certificate {@code id} (a role's or a backend's), from what it holds now. */
        Map<String, String> issue(String id, String commonName, List<String> names, Map<String, String> current) {
            X509Certificate leaf = first(current.get(TLS_CERT));
            PrivateKey key = X509Certificates.parseKey(current.get(TLS_KEY));
            Reason reason = null;
            if (leaf == null || key == null || !KeyPairs.matches(key, leaf.getPublicKey())) {
                reason = Reason.ISSUED;
            } else if (X509Certificates.signedBy(leaf, ca.certificate())) {
                if (leaf.getNotAfter().toInstant().isBefore(now.plus(settings.renewBefore()))) {
                    reason = Reason.EXPIRING;
                } else if (!dnsNames(leaf).equals(new HashSet<>(names))) {
                    reason = Reason.NAMES_CHANGED;
                }
            } else if (previous != null && X509Certificates.signedBy(leaf, previous) && now.isBefore(caSettled)) {
                // Signed by the CA being replaced: it switches once the new CA is trusted everywhere (renewBefore
                // is longer than that wait, so it is still valid then).
                checks.add(caSettled);
            } else {
                reason = Reason.CA_ROTATED;
            }
            String certPem;
            String keyPem;
            if (reason != null) {
                Instant end = now.plus(settings.lifetime());
                X509Certificates.Issued issued = X509Certificates.leaf(ca, commonName, names,
                        now.minus(BACKDATE), end.isAfter(caNotAfter) ? caNotAfter : end, random);
                leaf = issued.certificate();
                certPem = issued.certificatePem();
                keyPem = issued.keyPem();
                rotations.add(new Rotation(id, reason, leaf.getNotAfter().toInstant()));
            } else {
                certPem = current.get(TLS_CERT);
                keyPem = current.get(TLS_KEY);
            }
            notAfter.put(id, leaf.getNotAfter().toInstant());
            checks.add(leaf.getNotAfter().toInstant().minus(settings.renewBefore()));
            Map<String, String> data = new LinkedHashMap<>();
            data.put(TLS_CERT, certPem);
            data.put(TLS_KEY, keyPem);
            data.put(CA_CERT, bundle);
            return data;
        }
    }

    private static X509Certificate first(String pem) {
        List<X509Certificate> certs = X509Certificates.parseCertificates(pem);
        return certs.isEmpty() ? null : certs.get(0);
    }

    private static Set<String> dnsNames(X509Certificate cert) {
        Set<String> names = new HashSet<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0))) {
                        names.add((String) san.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return Set.of();
        }
        return names;
    }
}
