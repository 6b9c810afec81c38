package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.ImclusterOperator;
import dev.imcluster.operator.OperatorSettings;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.TlsSpec;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.model.InternalCertificates;
import dev.imcluster.operator.model.InternalTlsSecrets;
import dev.imcluster.operator.model.ManagedBackend;
import dev.imcluster.operator.model.Mounts;
import dev.imcluster.operator.model.Role;
import dev.imcluster.operator.model.X509Certificates;
import dev.imcluster.operator.testing.Edits;
import dev.imcluster.operator.testing.Examples;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.javaoperatorsdk.operator.Operator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * spec.tls.internal on the fabric8 mock API server (server-side apply off there, as in the other operator tests):
 * the CA and per-role Secrets appear, each role mounts its own and the broker config names it; a certificate near
 * its expiry is reissued in place, announced in an Event and counted; switching it off removes the Secrets.
 */
@EnableKubernetesMockClient(crud = true)
class InternalTlsOperatorTest {
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static KubernetesClient client;
    static Operator operator;
    static final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeAll
    static void start() {
        client.apiextensions().v1().customResourceDefinitions()
                .load(Examples.repoRoot().resolve("crds/pubsubclusters.pubsub.imcluster.dev-v1.yml").toFile()).create();
        client.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName("certificates.cert-manager.io").endMetadata()
                .withNewSpec().withGroup("cert-manager.io").withScope("Namespaced")
                .withNewNames().withKind("Certificate").withPlural("certificates").endNames()
                .addNewVersion().withName("v1").withServed(true).withStorage(true).endVersion()
                .endSpec().build()).create();
        operator = ImclusterOperator.create(client, OperatorSettings.forTests(Set.of()), registry,
                () -> new ApiCapabilities(true, false, true));
        operator.start();
    }

    @AfterAll
    static void stop() {
        operator.stop();
    }

    private static Secret secret(String ns, String name) {
        return client.secrets().inNamespace(ns).withName(name).get();
    }

    private static Map<String, String> pem(String ns, String name) {
        return InternalTlsSecrets.pemData(secret(ns, name));
    }

    private static double rotations(String certificate, String reason) {
        var c = registry.find("imcluster.operator.certificate.rotations").tags("certificate", certificate,
                "reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    private static List<String> events(String ns, String reason) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> reason.equals(e.getReason())).map(Event::getMessage).toList();
    }

    /** The quickstart in {@code ns} with internal TLS on. */
    private static PubSubCluster withInternalTls(String ns) {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getMetadata().setNamespace(ns);
        c.getMetadata().setUid(null);
        c.getSpec().tls = new TlsSpec();
        c.getSpec().tls.internal = new TlsSpec.Internal();
        c.getSpec().tls.internal.enabled = true;
        return c;
    }

    @Test
    void theOperatorIssuesMountsRotatesAndRemovesTheInternalCertificates() {
        String ns = "tls-internal";
        PubSubCluster c = withInternalTls(ns);
        client.resource(c).create();
        String name = c.getMetadata().getName();

        await().atMost(TIMEOUT).until(() -> secret(ns, name + "-internal-ca") != null
                && secret(ns, name + "-job-internal-tls") != null);
        Map<String, String> ca = pem(ns, name + "-internal-ca");
        X509Certificate caCert = X509Certificates.parseCertificates(ca.get("ca.crt")).get(0);
        for (Role role : Role.values()) {
            Secret s = secret(ns, name + "-" + role.id() + "-internal-tls");
            assertThat(s.getType()).isEqualTo("kubernetes.io/tls");
            assertThat(s.getMetadata().getOwnerReferences()).singleElement()
                    .satisfies(o -> assertThat(o.getName()).isEqualTo(name));
            Map<String, String> data = InternalTlsSecrets.pemData(s);
            assertThat(data.get("ca.crt")).isEqualTo(ca.get("ca.crt"));
            assertThat(X509Certificates.signedBy(X509Certificates.parseCertificates(data.get("tls.crt")).get(0),
                    caCert)).isTrue();
            await().atMost(TIMEOUT).until(() -> client.apps().deployments().inNamespace(ns)
                    .withName(name + "-" + role.id()).get() != null);
            Deployment d = client.apps().deployments().inNamespace(ns).withName(name + "-" + role.id()).get();
            var pod = d.getSpec().getTemplate().getSpec();
            assertThat(pod.getVolumes()).anySatisfy(v -> assertThat(v.getSecret() == null ? null
                    : v.getSecret().getSecretName()).isEqualTo(name + "-" + role.id() + "-internal-tls"));
            assertThat(pod.getContainers().get(0).getVolumeMounts()).anySatisfy(m -> {
                assertThat(m.getMountPath()).isEqualTo(Mounts.INTERNAL_TLS_DIR);
                assertThat(m.getReadOnly()).isTrue();
            });
        }
        assertThat(client.configMaps().inNamespace(ns).withName(name + "-config").get().getData().get("broker.yaml"))
                .contains("internalTls:", "caFile: " + Mounts.INTERNAL_TLS_DIR + "/ca.crt",
                        "serverName: " + name + "." + ns + ".imcluster.internal");
        // The CA, the three roles and the managed Redis.
        await().atMost(TIMEOUT).until(() -> events(ns, "CertificateIssued").size() == 5);
        assertThat(rotations("ca", "issued")).isPositive();
        assertThat(registry.find("imcluster.operator.certificate.expiry").tags("namespace", ns, "certificate", "logic")
                .gauge()).isNotNull();

        // logic's certificate is a day from expiry (renewBefore is 30 days): reissued in place, by the same CA.
        String logicSecret = name + "-logic-internal-tls";
        var caIssued = new X509Certificates.Issued(caCert, X509Certificates.parseKey(ca.get("ca.key")));
        var expiring = X509Certificates.leaf(caIssued, name + "-logic", InternalCertificates.dnsNames(c, Role.LOGIC),
                Instant.now().minusSeconds(60), Instant.now().plus(Duration.ofDays(1)), new SecureRandom());
        expireUntilRotated(ns, logicSecret, expiring, "logic");
        assertThat(X509Certificates.parseCertificates(pem(ns, logicSecret).get("tls.crt")).get(0).getNotAfter()
                .toInstant()).isAfter(Instant.now().plus(Duration.ofDays(60)));
        assertThat(pem(ns, name + "-internal-ca")).isEqualTo(ca);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(events(ns, "CertificateRotated"))
                .anyMatch(m -> m.contains("logic") && m.contains("expiring")));

        Edits.edit(client.resources(PubSubCluster.class).inNamespace(ns).withName(name), p -> {
            p.getSpec().tls = null;
            return p;
        });
        await().atMost(TIMEOUT).until(() -> secret(ns, name + "-internal-ca") == null
                && secret(ns, name + "-comet-internal-tls") == null);
        assertThat(client.configMaps().inNamespace(ns).withName(name + "-config").get().getData().get("broker.yaml"))
                .doesNotContain("internalTls");
    }

    /**
     * Puts {@code expiring} into Secret {@code name} until the operator reissues certificate {@code certificate}
     * for it (counted as expiring): a reconciliation still in flight may write its earlier plan over the first edit.
     */
    private static void expireUntilRotated(String ns, String name, X509Certificates.Issued expiring,
                                           String certificate) {
        String original = pem(ns, name).get("tls.crt");
        Runnable expire = () -> Edits.edit(client.secrets().inNamespace(ns).withName(name), s -> {
            s.getData().put("tls.crt", java.util.Base64.getEncoder().encodeToString(
                    expiring.certificatePem().getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            s.getData().put("tls.key", java.util.Base64.getEncoder().encodeToString(
                    expiring.keyPem().getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            return s;
        });
        expire.run();
        await().atMost(TIMEOUT).until(() -> {
            if (original.equals(pem(ns, name).get("tls.crt"))) {
                expire.run();
            }
            return rotations(certificate, "expiring") == 1;
        });
        await().atMost(TIMEOUT).until(() -> !expiring.certificatePem().equals(pem(ns, name).get("tls.crt")));
        assertThat(pem(ns, name).get("tls.crt")).isNotEqualTo(original);
    }

    private static StatefulSet statefulSet(String ns, String name) {
        return client.apps().statefulSets().inNamespace(ns).withName(name).get();
    }

    private static String certificateHash(StatefulSet s) {
        Map<String, String> a = s.getSpec().getTemplate().getMetadata().getAnnotations();
        return a == null ? null : a.get(ManagedBackend.CERTIFICATE_HASH_ANNOTATION);
    }

    @Test
    void theManagedRedisAndNatsServeTlsWithCertificatesOfTheClusterCaAndRollOnARotation() {
        String ns = "tls-backends";
        PubSubCluster c = Examples.load("nats.yaml");
        c.getMetadata().setNamespace(ns);
        c.getMetadata().setUid(null);
        c.getSpec().tls = withInternalTls(ns).getSpec().tls;
        client.resource(c).create();
        String name = c.getMetadata().getName();

        await().atMost(TIMEOUT).until(() -> secret(ns, name + "-redis-internal-tls") != null
                && secret(ns, name + "-nats-internal-tls") != null && statefulSet(ns, name + "-redis") != null
                && statefulSet(ns, name + "-nats") != null);
        X509Certificate caCert = X509Certificates.parseCertificates(pem(ns, name + "-internal-ca").get("ca.crt"))
                .get(0);
        for (ManagedBackend backend : ManagedBackend.withTls(c)) {
            Secret s = secret(ns, name + "-" + backend.id() + "-internal-tls");
            assertThat(s.getType()).isEqualTo("kubernetes.io/tls");
            assertThat(s.getMetadata().getOwnerReferences()).singleElement()
                    .satisfies(o -> assertThat(o.getName()).isEqualTo(name));
            Map<String, String> data = InternalTlsSecrets.pemData(s);
            assertThat(X509Certificates.signedBy(X509Certificates.parseCertificates(data.get("tls.crt")).get(0),
                    caCert)).isTrue();
            StatefulSet ss = statefulSet(ns, name + "-" + backend.id());
            assertThat(ss.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(v -> assertThat(
                    v.getSecret() == null ? null : v.getSecret().getSecretName())
                    .isEqualTo(name + "-" + backend.id() + "-internal-tls"));
            assertThat(certificateHash(ss)).isNotBlank();
            await().atMost(TIMEOUT).until(() -> rotations(backend.id(), "issued") >= 1);
        }
        assertThat(statefulSet(ns, name + "-redis").getSpec().getTemplate().getSpec().getContainers().get(0)
                .getArgs()).contains("--tls-port", "--tls-auth-clients");
        assertThat(statefulSet(ns, name + "-nats").getSpec().getTemplate().getSpec().getContainers().get(0)
                .getArgs()).contains("--tlsverify");
        assertThat(client.configMaps().inNamespace(ns).withName(name + "-config").get().getData().get("broker.yaml"))
                .contains("url: tls://" + name + "-nats:4222", "address: " + name + "-redis:6379\n  tls: true");
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(events(ns, "CertificateIssued"))
                .anyMatch(m -> m.contains("managed redis")).anyMatch(m -> m.contains("managed nats")));

        // Redis's certificate is a day from expiry: reissued in place, and the new hash rolls its pod.
        String redisSecret = name + "-redis-internal-tls";
        String hashBefore = certificateHash(statefulSet(ns, name + "-redis"));
        Map<String, String> ca = pem(ns, name + "-internal-ca");
        var caIssued = new X509Certificates.Issued(caCert, X509Certificates.parseKey(ca.get("ca.key")));
        var expiring = X509Certificates.leaf(caIssued, name + "-redis",
                InternalCertificates.dnsNames(c, ManagedBackend.REDIS), Instant.now().minusSeconds(60),
                Instant.now().plus(Duration.ofDays(1)), new SecureRandom());
        expireUntilRotated(ns, redisSecret, expiring, "redis");
        await().atMost(TIMEOUT).until(() -> !hashBefore.equals(certificateHash(statefulSet(ns, name + "-redis"))));
        assertThat(X509Certificates.parseCertificates(pem(ns, redisSecret).get("tls.crt")).get(0).getNotAfter()
                .toInstant()).isAfter(Instant.now().plus(Duration.ofDays(60)));

        // Internal TLS off: the roles dial plaintext again, the Secrets are gone. (That the StatefulSets drop their
        // TLS arguments is ManagedBackendTlsTest's: without server-side apply, as here, JOSDK's matcher ignores
        // fields the desired state no longer has; a real API server's apply removes them.)
        Edits.edit(client.resources(PubSubCluster.class).inNamespace(ns).withName(name), p -> {
            p.getSpec().tls = null;
            return p;
        });
        await().atMost(TIMEOUT).until(() -> secret(ns, redisSecret) == null
                && secret(ns, name + "-nats-internal-tls") == null);
        assertThat(client.configMaps().inNamespace(ns).withName(name + "-config").get().getData().get("broker.yaml"))
                .contains("url: nats://" + name + "-nats:4222", "address: " + name + "-redis:6379\n  tls: false");
    }

    @Test
    void theManagedMosquittoServesTlsWithACertificateOfTheClusterCaAndTheRolesDialSsl() {
        String ns = "tls-mqtt";
        PubSubCluster c = Examples.load("mqtt.yaml");
        c.getMetadata().setNamespace(ns);
        c.getMetadata().setUid(null);
        c.getSpec().tls = withInternalTls(ns).getSpec().tls;
        client.resource(new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata()
                .withName(c.getSpec().mq.mqtt.authSecretRef.name).withNamespace(ns).endMetadata()
                .addToStringData("username", "im").addToStringData("password", "test-password").build()).create();
        client.resource(c).create();
        String name = c.getMetadata().getName();

        await().atMost(TIMEOUT).until(() -> secret(ns, name + "-mqtt-internal-tls") != null
                && statefulSet(ns, name + "-mqtt") != null && certificateHash(statefulSet(ns, name + "-mqtt")) != null);
        X509Certificate caCert = X509Certificates.parseCertificates(pem(ns, name + "-internal-ca").get("ca.crt"))
                .get(0);
        Map<String, String> data = pem(ns, name + "-mqtt-internal-tls");
        assertThat(X509Certificates.signedBy(X509Certificates.parseCertificates(data.get("tls.crt")).get(0),
                caCert)).isTrue();
        StatefulSet ss = statefulSet(ns, name + "-mqtt");
        assertThat(ss.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(v -> assertThat(
                v.getSecret() == null ? null : v.getSecret().getSecretName()).isEqualTo(name + "-mqtt-internal-tls"));
        assertThat(ss.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
                .anySatisfy(e -> assertThat(e.getValue()).contains("require_certificate true"));
        assertThat(client.configMaps().inNamespace(ns).withName(name + "-config").get().getData().get("broker.yaml"))
                .contains("url: ssl://" + name + "-mqtt:1883");
        await().atMost(TIMEOUT).until(() -> rotations("mqtt", "issued") >= 1);
    }

    @Test
    @SuppressWarnings("unchecked")
    void withAnIssuerRefCertManagerIssuesTheCertificatesAndTheOperatorNone() {
        String ns = "tls-cert-manager";
        PubSubCluster c = withInternalTls(ns);
        c.getSpec().tls.internal.renewBefore = "240h";
        c.getSpec().tls.internal.issuerRef = new TlsSpec.IssuerRef();
        c.getSpec().tls.internal.issuerRef.name = "platform-ca";
        c.getSpec().tls.internal.issuerRef.kind = "ClusterIssuer";
        client.resource(c).create();
        String name = c.getMetadata().getName();
        var certificates = client.genericKubernetesResources(CertManagerSync.CONTEXT).inNamespace(ns);
        // One per role and one for the managed Redis.
        await().atMost(TIMEOUT).until(() -> certificates.list().getItems().size() == 4);
        GenericKubernetesResource comet = certificates.withName(name + "-comet-internal-tls").get();
        Map<String, Object> spec = (Map<String, Object>) comet.getAdditionalProperties().get("spec");
        assertThat(spec).containsEntry("secretName", name + "-comet-internal-tls")
                .containsEntry("duration", "2160h").containsEntry("renewBefore", "240h")
                .containsEntry("issuerRef", Map.of("group", "cert-manager.io", "kind", "ClusterIssuer",
                        "name", "platform-ca"));
        assertThat((List<Object>) spec.get("dnsNames")).contains(name + "." + ns + ".imcluster.internal",
                "*." + name + "-comet-headless." + ns + ".svc");
        assertThat(comet.getMetadata().getOwnerReferences()).singleElement()
                .satisfies(o -> assertThat(o.getName()).isEqualTo(name));
        Map<String, Object> redis = (Map<String, Object>) certificates.withName(name + "-redis-internal-tls").get()
                .getAdditionalProperties().get("spec");
        assertThat((List<Object>) redis.get("dnsNames")).containsExactly(name + "-redis", name + "-redis." + ns,
                name + "-redis." + ns + ".svc");
        await().atMost(TIMEOUT).until(() -> client.apps().statefulSets().inNamespace(ns).withName(name + "-redis")
                .get() != null);
        assertThat(client.apps().statefulSets().inNamespace(ns).withName(name + "-redis").get().getSpec()
                .getTemplate().getSpec().getContainers().get(0).getArgs()).contains("--tls-auth-clients");
        await().atMost(TIMEOUT).until(() -> client.apps().deployments().inNamespace(ns).withName(name + "-job").get()
                != null);
        assertThat(client.apps().deployments().inNamespace(ns).withName(name + "-job").get().getSpec().getTemplate()
                .getSpec().getVolumes()).anySatisfy(v -> assertThat(v.getSecret() == null ? null
                : v.getSecret().getSecretName()).isEqualTo(name + "-job-internal-tls"));
        assertThat(secret(ns, name + "-internal-ca")).isNull();
        assertThat(secret(ns, name + "-job-internal-tls")).as("cert-manager writes it").isNull();

        Edits.edit(client.resources(PubSubCluster.class).inNamespace(ns).withName(name), p -> {
            p.getSpec().tls.internal.enabled = false;
            return p;
        });
        await().atMost(TIMEOUT).until(() -> certificates.list().getItems().isEmpty());
    }
}
