package dev.imcluster.operator.model;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.ConfigLoader;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.testing.Examples;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The managed Redis, NATS and Mosquitto with spec.tls.internal: TLS only with a server certificate of the cluster's CA
 * mounted from their Secret, client certificates required, a certificate hash that rolls the pod, and the roles'
 * config pointing at them over TLS; nothing of it without internal TLS.
 */
class ManagedBackendTlsTest {
    private static final String TLS_DIR = "/etc/imcluster-tls";

    /** The NATS example (managed NATS and managed Redis), with internal TLS on or off. */
    private static PubSubCluster nats(boolean internalTls) {
        return internalTls ? BackendProcesses.withInternalTls("nats.yaml") : Examples.load("nats.yaml");
    }

    /** The MQTT example (managed Mosquitto with a user, managed Redis), with internal TLS on. */
    private static PubSubCluster mqtt() {
        return BackendProcesses.withInternalTls("mqtt.yaml");
    }

    private static InternalCertificates.Plan plan(PubSubCluster c) {
        return BackendProcesses.plan(c);
    }

    private static Container container(StatefulSet s) {
        return s.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    private static void mountsItsCertificate(StatefulSet s, String secret) {
        assertThat(s.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(v -> {
            assertThat(v.getSecret()).isNotNull();
            assertThat(v.getSecret().getSecretName()).isEqualTo(secret);
            assertThat(v.getSecret().getDefaultMode()).isEqualTo(0440);
        });
        assertThat(container(s).getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getMountPath()).isEqualTo(TLS_DIR);
            assertThat(m.getReadOnly()).isTrue();
        });
    }

    private static String hash(StatefulSet s) {
        Map<String, String> a = s.getSpec().getTemplate().getMetadata().getAnnotations();
        return a == null ? null : a.get(ManagedBackend.CERTIFICATE_HASH_ANNOTATION);
    }

    @Test
    void managedRedisServesTlsOnlyToClientsWithACertificateOfTheCluster() {
        PubSubCluster c = nats(true);
        InternalCertificates.Plan plan = plan(c);
        StatefulSet s = RedisModel.statefulSet(c, OperatorConfig.defaults(), plan.backends().get(ManagedBackend.REDIS));
        List<String> args = container(s).getArgs();
        assertThat(String.join(" ", args)).contains("--port 0", "--tls-port 6379",
                "--tls-cert-file " + TLS_DIR + "/tls.crt", "--tls-key-file " + TLS_DIR + "/tls.key",
                "--tls-ca-cert-file " + TLS_DIR + "/ca.crt", "--tls-auth-clients yes")
                .doesNotContain("--port 6379");
        mountsItsCertificate(s, "nats-im-redis-internal-tls");
        assertThat(container(s).getPorts()).singleElement()
                .satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(Ports.REDIS));
        // Probed over TLS with its own certificate: a bare TCP probe is a failed handshake in Redis's log.
        for (var probe : List.of(container(s).getReadinessProbe(), container(s).getLivenessProbe())) {
            assertThat(probe.getTcpSocket()).isNull();
            assertThat(String.join(" ", probe.getExec().getCommand())).startsWith("redis-cli --tls")
                    .contains("--cert " + TLS_DIR + "/tls.crt", "-p 6379", "PING").doesNotContain("-a ");
        }
        assertThat(hash(s)).isNotBlank();

        // Another certificate (a rotation), or another CA bundle: another hash, so the pod rolls.
        StatefulSet rotated = RedisModel.statefulSet(c, OperatorConfig.defaults(),
                plan(c).backends().get(ManagedBackend.REDIS));
        assertThat(hash(rotated)).isNotEqualTo(hash(s));
        assertThat(hash(RedisModel.statefulSet(c, OperatorConfig.defaults(),
                plan.backends().get(ManagedBackend.REDIS)))).as("the same certificate, the same pod").isEqualTo(hash(s));
        // A CA rotation: the new CA first in the bundle rolls it; the old one leaving the bundle does not.
        Map<String, String> data = plan.backends().get(ManagedBackend.REDIS);
        String otherCa = plan(c).ca().get(InternalCertificates.CA_CERT);
        Map<String, String> newCaFirst = new java.util.HashMap<>(data);
        newCaFirst.put(InternalCertificates.CA_CERT, otherCa + data.get(InternalCertificates.CA_CERT));
        assertThat(hash(RedisModel.statefulSet(c, OperatorConfig.defaults(), newCaFirst))).isNotEqualTo(hash(s));
        Map<String, String> oldCaBehind = new java.util.HashMap<>(data);
        oldCaBehind.put(InternalCertificates.CA_CERT, data.get(InternalCertificates.CA_CERT) + otherCa);
        assertThat(hash(RedisModel.statefulSet(c, OperatorConfig.defaults(), oldCaBehind))).isEqualTo(hash(s));
    }

    @Test
    void managedNatsRequiresClientCertificatesOnItsClientPortAndKeepsMonitoringPlain() {
        PubSubCluster c = nats(true);
        InternalCertificates.Plan plan = plan(c);
        StatefulSet s = NatsModel.statefulSet(c, OperatorConfig.defaults(), plan.backends().get(ManagedBackend.NATS));
        assertThat(String.join(" ", container(s).getArgs())).contains("-js", "--tlsverify",
                "--tlscert " + TLS_DIR + "/tls.crt", "--tlskey " + TLS_DIR + "/tls.key",
                "--tlscacert " + TLS_DIR + "/ca.crt", "-m " + Ports.NATS_MONITOR);
        mountsItsCertificate(s, "nats-im-nats-internal-tls");
        assertThat(container(s).getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("monitor");
        assertThat(container(s).getReadinessProbe().getHttpGet().getScheme()).isNotEqualTo("HTTPS");
        assertThat(container(s).getLivenessProbe().getTcpSocket().getPort().getStrVal())
                .as("a TCP connect to the TLS port is a failed handshake in its log").isEqualTo("monitor");
        assertThat(hash(s)).isNotBlank();
        assertThat(s.getSpec().getVolumeClaimTemplates()).as("the data volume is untouched").hasSize(1);
    }

    @Test
    void managedMosquittoServesTlsOnlyToClientsWithACertificateOfTheClusterAndKeepsItsUser() {
        PubSubCluster c = mqtt();
        assertThat(ManagedBackend.withTls(c)).containsExactlyInAnyOrder(ManagedBackend.REDIS, ManagedBackend.MQTT);
        InternalCertificates.Plan plan = plan(c);
        StatefulSet s = MqttModel.statefulSet(c, OperatorConfig.defaults(), plan.backends().get(ManagedBackend.MQTT));
        List<String> conf = MqttModelTest.env(container(s), MqttModel.CONF_ENV).lines().toList();
        // The TLS settings follow the listener line: they are that listener's, so the one port speaks TLS only.
        assertThat(conf.subList(0, 6)).containsExactly("listener 1883", "certfile " + TLS_DIR + "/tls.crt",
                "keyfile " + TLS_DIR + "/tls.key", "cafile " + TLS_DIR + "/ca.crt", "require_certificate true",
                "tls_version tlsv1.2");
        assertThat(conf).contains("allow_anonymous false", "password_file /run/mosquitto/passwd")
                .doesNotContain("use_identity_as_username true");
        mountsItsCertificate(s, "mqtt-im-mqtt-internal-tls");
        // Probed over TLS with its own certificate: a bare TCP probe is a failed handshake in Mosquitto's log.
        for (var probe : List.of(container(s).getReadinessProbe(), container(s).getLivenessProbe())) {
            assertThat(probe.getTcpSocket()).isNull();
            assertThat(String.join(" ", probe.getExec().getCommand())).contains("mosquitto_sub",
                    "--cert " + TLS_DIR + "/tls.crt", "-p 1883").doesNotContain("-P ", "-u ");
        }
        assertThat(container(s).getPorts()).singleElement()
                .satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(Ports.MQTT));
        assertThat(hash(s)).isNotBlank();
        assertThat(hash(MqttModel.statefulSet(c, OperatorConfig.defaults(), plan(c).backends()
                .get(ManagedBackend.MQTT)))).as("a rotated certificate rolls the pod").isNotEqualTo(hash(s));
        assertThat(s.getSpec().getVolumeClaimTemplates()).as("the data volume is untouched").hasSize(1);

        BrokerConfigRenderer.Rendered r = BrokerConfigRenderer.render(c);
        for (Role role : List.of(Role.LOGIC, Role.JOB)) {
            BrokerConfig config = MqttModelTest.effective(r, role);
            // ssl:// makes the broker's MQTT client use the internal TLS context: the CA and the role's certificate.
            assertThat(config.mq.mqtt.url).as(role.id()).isEqualTo("ssl://mqtt-im-mqtt:1883");
            assertThat(config.mq.mqtt.passwordFile).isEqualTo(Mounts.MQTT_DIR + "/password");
            assertThat(config.security.internalTls.enabled()).isTrue();
        }
    }

    @Test
    void theBackendSecretsHoldTheCertificateAndTheBundle() {
        for (PubSubCluster c : List.of(nats(true), mqtt())) {
            InternalCertificates.Plan plan = plan(c);
            assertThat(plan.backends()).isNotEmpty();
            for (ManagedBackend backend : ManagedBackend.withTls(c)) {
                Secret s = InternalTlsSecrets.backendSecret(c, backend, plan);
                assertThat(s.getMetadata().getName())
                        .isEqualTo(c.getMetadata().getName() + "-" + backend.id() + "-internal-tls");
                assertThat(s.getType()).isEqualTo("kubernetes.io/tls");
                assertThat(InternalTlsSecrets.pemData(s)).containsOnlyKeys("tls.crt", "tls.key", "ca.crt")
                        .isEqualTo(plan.backends().get(backend));
            }
        }
    }

    @Test
    void theRolesDialTheManagedBackendsOverTlsAndTheBrokerAcceptsIt() {
        PubSubCluster c = nats(true);
        BrokerConfigRenderer.Rendered r = BrokerConfigRenderer.render(c);
        for (Role role : List.of(Role.LOGIC, Role.JOB)) {
            BrokerConfig config = ConfigLoader.parse(r.yaml(role),
                    DeploymentModel.configEnv(c, role, r, SwapState.of(c.getStatus())),
                    ConfigLoader.roleDefaults(role.id()));
            assertThat(config.redis.tls).as(role.id()).isTrue();
            assertThat(config.redis.address).isEqualTo("nats-im-redis:6379");
            assertThat(config.mq.nats.url).isEqualTo("tls://nats-im-nats:4222");
            assertThat(config.security.internalTls.enabled()).isTrue();
        }
    }

    @Test
    void withoutInternalTlsNothingChanges() {
        PubSubCluster c = nats(false);
        assertThat(ManagedBackend.withTls(c)).isEmpty();
        StatefulSet redis = RedisModel.statefulSet(c, OperatorConfig.defaults());
        assertThat(String.join(" ", container(redis).getArgs())).contains("--port 6379").doesNotContain("tls");
        StatefulSet nats = NatsModel.statefulSet(c, OperatorConfig.defaults());
        assertThat(String.join(" ", container(nats).getArgs())).doesNotContain("tls");
        assertThat(container(redis).getReadinessProbe().getTcpSocket().getPort().getStrVal()).isEqualTo("redis");
        assertThat(container(nats).getLivenessProbe().getTcpSocket().getPort().getStrVal()).isEqualTo("client");
        for (StatefulSet s : List.of(redis, nats)) {
            assertThat(hash(s)).isNull();
            assertThat(container(s).getVolumeMounts()).noneSatisfy(m -> assertThat(m.getMountPath()).isEqualTo(TLS_DIR));
        }
        String yaml = BrokerConfigRenderer.render(c).yaml();
        assertThat(yaml).contains("url: nats://nats-im-nats:4222", "tls: false");
        PubSubCluster plainMqtt = Examples.load("mqtt.yaml");
        StatefulSet mosquitto = MqttModel.statefulSet(plainMqtt, OperatorConfig.defaults());
        assertThat(MqttModelTest.env(container(mosquitto), MqttModel.CONF_ENV)).doesNotContain("certfile", "cafile");
        assertThat(hash(mosquitto)).isNull();
        assertThat(container(mosquitto).getReadinessProbe().getTcpSocket().getPort().getStrVal()).isEqualTo("mqtt");
        assertThat(BrokerConfigRenderer.render(plainMqtt).yaml()).contains("url: tcp://mqtt-im-mqtt:1883");

        // An external Redis keeps what its spec says, internal TLS or not.
        PubSubCluster external = Examples.load("production.yaml");
        external.getSpec().tls = nats(true).getSpec().tls;
        assertThat(ManagedBackend.withTls(external)).doesNotContain(ManagedBackend.REDIS);
    }
}
