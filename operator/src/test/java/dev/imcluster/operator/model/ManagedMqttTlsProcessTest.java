package dev.imcluster.operator.model;

import dev.imcluster.common.testing.RequiredTools;
import dev.imcluster.broker.security.InternalTls;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Probe;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A real Mosquitto (the Debian package) started by the operator's own start script with the mosquitto.conf it renders
 * for the managed Mosquitto with internal TLS and a user, and the certificates of {@link InternalCertificates}: the
 * broker's internal TLS context (what logic and job hand to the MQTT client for an ssl:// url) with the user's
 * password connects; a client that presents no certificate is refused, and so is one with a certificate but no
 * password. With Debian's mosquitto-clients installed, the pod's exec probes pass against it too.
 */
class ManagedMqttTlsProcessTest {
    private static final Path MOSQUITTO = Path.of("/usr/sbin/mosquitto");
    /** Debian's mosquitto-clients: the probes' client. */
    private static final Path MOSQUITTO_SUB = Path.of("/usr/bin/mosquitto_sub");
    private static final String USER = "im";
    private static final String PASSWORD = "s3cret";
    private Process mosquitto;

    @AfterEach
    void stop() throws InterruptedException {
        BackendProcesses.stop(mosquitto);
    }

    private static MqttConnectionOptions options(SSLContext context, String password) {
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setSocketFactory(context.getSocketFactory());
        o.setConnectionTimeout(5);
        // The certificate names the Service, which the broker dials (and checks); here the server is 127.0.0.1.
        o.setHttpsHostnameVerificationEnabled(false);
        if (password != null) {
            o.setUserName(USER);
            o.setPassword(password.getBytes(StandardCharsets.UTF_8));
        }
        return o;
    }

    /** Connects as {@code clientId}, then disconnects. */
    private static void connect(int port, String clientId, MqttConnectionOptions options) throws Exception {
        MqttClient client = new MqttClient("ssl://127.0.0.1:" + port, clientId, new MemoryPersistence());
        try {
            client.connect(options);
            assertThat(client.isConnected()).isTrue();
            client.disconnect();
        } finally {
            client.close(true);
        }
    }

    /** Runs an exec probe of the pod, its paths and port made local: true when it passes. */
    private static boolean probe(Probe probe, Map<String, String> local) throws Exception {
        Process p = new ProcessBuilder(BackendProcesses.local(probe.getExec().getCommand(), local))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return false;
        }
        return p.exitValue() == 0;
    }

    @Test
    void theRenderedTlsListenerAdmitsTheBrokersContextWithThePasswordAndRefusesAClientWithoutCertificate(
            @TempDir Path dir) throws Exception {
        RequiredTools.requireExecutable(MOSQUITTO, "mosquitto");
        RequiredTools.requireExecutable(MOSQUITTO_SUB, "mosquitto-clients"); // the pod's probes run it
        PubSubCluster c = BackendProcesses.withInternalTls("mqtt.yaml");
        InternalCertificates.Plan plan = BackendProcesses.plan(c);
        Path tls = BackendProcesses.directory(dir, "tls", plan.backends().get(ManagedBackend.MQTT));
        Path job = BackendProcesses.directory(dir, "job", plan.roles().get(Role.JOB));
        Path data = BackendProcesses.directory(dir, "data", Map.of());
        Path run = BackendProcesses.directory(dir, "run", Map.of());

        int port = BackendProcesses.freePort();
        Container container = MqttModel.statefulSet(c, OperatorConfig.defaults(), plan.backends()
                .get(ManagedBackend.MQTT)).getSpec().getTemplate().getSpec().getContainers().get(0);
        Map<String, String> local = BackendProcesses.replacements(ManagedStatefulSet.TLS_PATH, tls.toString(),
                "persistence_location " + ManagedStatefulSet.DATA_PATH + "/", "persistence_location " + data + "/",
                MqttModel.RUN_PATH, run.toString(), "listener " + Ports.MQTT, "listener " + port + " 127.0.0.1",
                "-p " + Ports.MQTT, "-p " + port,
                // stdout is block-buffered off a terminal; the test reads the log as it goes
                "log_dest stdout", "log_dest stderr");
        String conf = String.join("\n", BackendProcesses.local(
                MqttModelTest.env(container, MqttModel.CONF_ENV).lines().toList(), local))
                + "\nuser root"; // as root (in CI) it would switch to the mosquitto user, who cannot read the temp dir
        List<String> command = BackendProcesses.local(container.getCommand(), local);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("mosquitto.log").toFile());
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().put(MqttModel.CONF_ENV, conf);
        pb.environment().put(MqttModel.USERNAME_ENV, USER);
        pb.environment().put(MqttModel.PASSWORD_ENV, PASSWORD);
        assertThat(probe(container.getLivenessProbe(), local)).as("nothing listens yet").isFalse();
        mosquitto = pb.start();

        Path log = dir.resolve("mosquitto.log");
        // The pod's probes pass against it, and leave no handshake error in its log as a bare TCP probe would.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> probe(container.getReadinessProbe(), local) || !mosquitto.isAlive());
        assertThat(mosquitto.isAlive()).as("mosquitto accepts the rendered conf: %s", Files.readString(log))
                .isTrue();
        assertThat(probe(container.getLivenessProbe(), local)).isTrue();
        assertThat(Files.readString(log)).contains("not authorised").doesNotContain("OpenSSL Error");
        assertThat(Files.readString(run.resolve("passwd"))).as("hashed by mosquitto_passwd")
                .startsWith(USER + ":$").doesNotContain(PASSWORD);

        try (InternalTls internal = InternalTls.start(BackendProcesses.internalTls(job), new SimpleMeterRegistry())) {
            connect(port, "job-0", options(internal.jdkContext(), PASSWORD));
            assertThatThrownBy(() -> connect(port, "job-no-password", options(internal.jdkContext(), null)))
                    .as("a certificate does not replace the password").isInstanceOf(Exception.class);
        }

        // Trusts the CA but presents no certificate.
        SSLContext noCertificate = BackendProcesses.trustingOnly(job.resolve(InternalCertificates.CA_CERT));
        assertThatThrownBy(() -> connect(port, "trust-only", options(noCertificate, PASSWORD)))
                .as("no client certificate, no connection").isInstanceOf(Exception.class);
    }
}
