package dev.imcluster.operator.model;

import dev.imcluster.broker.config.SecurityConfig;
import dev.imcluster.broker.security.InternalTls;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.TlsSpec;
import dev.imcluster.operator.testing.Examples;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real nats-server (the Debian package) started with the arguments the operator renders for the managed NATS
 * with internal TLS and the certificates of {@link InternalCertificates}: the broker's own internal TLS context
 * (what logic and job hand to the NATS client) connects; a client that presents no certificate is refused; the
 * monitoring port the probes use still answers plain HTTP.
 */
class ManagedNatsTlsProcessTest {
    private static final Path NATS_SERVER = Path.of("/usr/sbin/nats-server");
    private Process nats;

    @AfterEach
    void stop() throws InterruptedException {
        if (nats != null) {
            nats.destroy();
            if (!nats.waitFor(10, TimeUnit.SECONDS)) {
                nats.destroyForcibly();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Connection connect(int port, SSLContext context) throws Exception {
        return Nats.connect(new Options.Builder().server("tls://127.0.0.1:" + port).sslContext(context)
                .connectionTimeout(Duration.ofSeconds(5)).maxReconnects(0).noReconnect().build());
    }

    @Test
    void theRenderedTlsSettingsAdmitTheBrokersContextAndRefuseAClientWithoutCertificate(@TempDir Path dir)
            throws Exception {
        assumeTrue(Files.isExecutable(NATS_SERVER), "nats-server is installed");
        PubSubCluster c = Examples.load("nats.yaml");
        c.getSpec().tls = new TlsSpec();
        c.getSpec().tls.internal = new TlsSpec.Internal();
        c.getSpec().tls.internal.enabled = true;
        InternalCertificates.Plan plan = InternalCertificates.plan(c, Map.of(), Map.of(), Map.of(), Instant.now(),
                new SecureRandom());
        Path tls = Files.createDirectory(dir.resolve("tls"));
        plan.backends().get(ManagedBackend.NATS).forEach((k, v) -> write(tls.resolve(k), v));
        Path job = Files.createDirectory(dir.resolve("job"));
        plan.roles().get(Role.JOB).forEach((k, v) -> write(job.resolve(k), v));
        Path data = Files.createDirectory(dir.resolve("data"));

        int port = freePort();
        int monitor = freePort();
        List<String> cmd = new ArrayList<>(List.of(NATS_SERVER.toString()));
        for (String arg : NatsModel.statefulSet(c, OperatorConfig.defaults(), plan.backends().get(ManagedBackend.NATS))
                .getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()) {
            cmd.add(arg.replace(ManagedStatefulSet.TLS_PATH, tls.toString())
                    .replace(ManagedStatefulSet.DATA_PATH, data.toString())
                    .replace(String.valueOf(Ports.NATS_MONITOR), String.valueOf(monitor))
                    .replace(String.valueOf(Ports.NATS), String.valueOf(port)));
        }
        cmd.addAll(List.of("-a", "127.0.0.1"));
        nats = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("nats.log").toFile())
                .start();

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> healthz(monitor) == 200 || !nats.isAlive());
        assertThat(nats.isAlive()).as("nats-server accepts the rendered arguments: %s",
                Files.readString(dir.resolve("nats.log"))).isTrue();

        SecurityConfig.InternalTlsConfig files = new SecurityConfig.InternalTlsConfig();
        files.certFile = job.resolve("tls.crt").toString();
        files.keyFile = job.resolve("tls.key").toString();
        files.caFile = job.resolve("ca.crt").toString();
        try (InternalTls internal = InternalTls.start(files, new SimpleMeterRegistry());
             Connection connection = connect(port, internal.jdkContext())) {
            assertThat(connection.getStatus()).isEqualTo(Connection.Status.CONNECTED);
            connection.flush(Duration.ofSeconds(5));
        }

        // Trusts the CA but presents no certificate.
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", X509Certificates.parseCertificates(Files.readString(job.resolve("ca.crt")))
                .get(0));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext noCertificate = SSLContext.getInstance("TLS");
        noCertificate.init(null, tmf.getTrustManagers(), null);
        assertThatThrownBy(() -> {
            try (Connection refused = connect(port, noCertificate)) {
                refused.flush(Duration.ofSeconds(5));
            }
        }).as("no client certificate, no connection").isNotNull();
    }

    private static int healthz(int monitor) {
        try {
            HttpURLConnection http = (HttpURLConnection) URI.create("http://127.0.0.1:" + monitor + "/healthz")
                    .toURL().openConnection();
            http.setConnectTimeout(1000);
            http.setReadTimeout(1000);
            return http.getResponseCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
