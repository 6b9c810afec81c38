package dev.imcluster.operator.model;

import dev.imcluster.common.testing.RequiredTools;
import dev.imcluster.broker.security.InternalTls;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

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
        BackendProcesses.stop(nats);
    }

    private static Connection connect(int port, SSLContext context) throws Exception {
        return Nats.connect(new Options.Builder().server("tls://127.0.0.1:" + port).sslContext(context)
                .connectionTimeout(Duration.ofSeconds(5)).maxReconnects(0).noReconnect().build());
    }

    @Test
    void theRenderedTlsSettingsAdmitTheBrokersContextAndRefuseAClientWithoutCertificate(@TempDir Path dir)
            throws Exception {
        RequiredTools.requireExecutable(NATS_SERVER, "nats-server");
        PubSubCluster c = BackendProcesses.withInternalTls("nats.yaml");
        InternalCertificates.Plan plan = BackendProcesses.plan(c);
        Path tls = BackendProcesses.directory(dir, "tls", plan.backends().get(ManagedBackend.NATS));
        Path job = BackendProcesses.directory(dir, "job", plan.roles().get(Role.JOB));
        Path data = BackendProcesses.directory(dir, "data", Map.of());

        int port = BackendProcesses.freePort();
        int monitor = BackendProcesses.freePort();
        List<String> cmd = new ArrayList<>(List.of(NATS_SERVER.toString()));
        cmd.addAll(BackendProcesses.local(NatsModel.statefulSet(c, OperatorConfig.defaults(), plan.backends()
                .get(ManagedBackend.NATS)).getSpec().getTemplate().getSpec().getContainers().get(0).getArgs(),
                BackendProcesses.replacements(ManagedStatefulSet.TLS_PATH, tls.toString(),
                        ManagedStatefulSet.DATA_PATH, data.toString(), String.valueOf(Ports.NATS_MONITOR),
                        String.valueOf(monitor), String.valueOf(Ports.NATS), String.valueOf(port))));
        cmd.addAll(List.of("-a", "127.0.0.1"));
        nats = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("nats.log").toFile())
                .start();

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> healthz(monitor) == 200 || !nats.isAlive());
        assertThat(nats.isAlive()).as("nats-server accepts the rendered arguments: %s",
                Files.readString(dir.resolve("nats.log"))).isTrue();

        try (InternalTls internal = InternalTls.start(BackendProcesses.internalTls(job), new SimpleMeterRegistry());
             Connection connection = connect(port, internal.jdkContext())) {
            assertThat(connection.getStatus()).isEqualTo(Connection.Status.CONNECTED);
            connection.flush(Duration.ofSeconds(5));
        }

        // Trusts the CA but presents no certificate.
        SSLContext noCertificate = BackendProcesses.trustingOnly(job.resolve(InternalCertificates.CA_CERT));
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

}
