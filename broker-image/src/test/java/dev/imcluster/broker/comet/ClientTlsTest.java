package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.security.TestCerts;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * comet.tls on real sockets: goim over TLS, WebSocket as wss, gRPC over TLS, and a certificate rotated the way a
 * Kubernetes Secret volume does it (a new timestamped directory, then the {@code ..data} symlink swapped).
 */
class ClientTlsTest {
    @TempDir
    static Path certDir;
    static TestCerts first;
    static TestCerts second;
    static TestCerts third;

    @TempDir
    Path mount;

    @BeforeAll
    static void certificates() throws Exception {
        first = TestCerts.rsa(certDir, "comet-first");
        second = TestCerts.rsa(certDir, "comet-second");
        third = TestCerts.rsa(certDir, "comet-third");
    }

    /** Publishes {@code tls.crt} and {@code tls.key} as kubelet does: files in ..version, reached via ..data. */
    private void publish(String version, String certPem, String keyPem) throws Exception {
        Path dir = mount.resolve(".." + version);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("tls.crt"), certPem);
        Files.writeString(dir.resolve("tls.key"), keyPem);
        Path tmp = mount.resolve("..data_tmp");
        Files.createSymbolicLink(tmp, Path.of(".." + version));
        Files.move(tmp, mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        for (String f : new String[] {"tls.crt", "tls.key"}) {
            if (!Files.exists(mount.resolve(f), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(mount.resolve(f), Path.of("..data", f));
            }
        }
    }

    private CometHarness tlsComet() throws Exception {
        return new CometHarness(c -> {
            c.comet.tls.certFile = mount.resolve("tls.crt").toString();
            c.comet.tls.keyFile = mount.resolve("tls.key").toString();
            c.comet.tls.reloadInterval = Duration.ofMillis(100);
        });
    }

    private static SSLSocket tlsSocket(int port, X509Certificate... trusted) throws Exception {
        SSLSocket s = (SSLSocket) TestCerts.trusting(trusted).getSocketFactory().createSocket("127.0.0.1", port);
        s.setSoTimeout(30_000);
        s.startHandshake();
        return s;
    }

    private static X509Certificate served(SSLSocket s) throws Exception {
        return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }

    private static ManagedChannel grpcChannel(int port, X509Certificate... trusted) throws Exception {
        return NettyChannelBuilder.forAddress("localhost", port)
                .sslContext(GrpcSslContexts.forClient().trustManager(trusted).build()).build();
    }

    private static void grpcHealthy(ManagedChannel channel) {
        HealthGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance());
    }

    @Test
    void rotationServesTheNewCertificateToNewClientsAndKeepsTheOldConnections() throws Exception {
        publish("v1", first.certPem(), first.keyPem());
        X509Certificate a = first.certificate();
        X509Certificate b = second.certificate();
        try (CometHarness h = tlsComet()) {
            SSLSocket oldSocket = tlsSocket(h.comet.tcpPort(), a, b);
            assertThat(served(oldSocket)).isEqualTo(a);
            SSLContext trustA = TestCerts.trusting(a);
            try (GoimClient tcp = new GoimClient.Tcp(oldSocket).reading();
                 GoimClient wss = new GoimClient.Ws(HttpClient.newBuilder().sslContext(trustA).build(),
                         URI.create("wss://127.0.0.1:" + h.comet.websocketPort() + "/sub"))) {
                tcp.auth(auth(1, "tls-tcp", "live://tls", 1000));
                wss.auth(auth(2, "tls-ws", "live://tls", 1000));
                ManagedChannel oldGrpc = grpcChannel(h.comet.pubsubGrpcPort(), a);
                SubscribeStream sub = new SubscribeStream();
                PubSubServiceGrpc.newStub(oldGrpc).subscribe(SubscribeRequest.newBuilder().setTopic("live://tls")
                        .build(), sub);
                await().atMost(GoimClient.WAIT).until(() -> h.gauge("imcluster.comet.topic.subscribers") == 1);

                publish("v2", second.certPem(), second.keyPem());
                await().atMost(GoimClient.WAIT).until(
                        () -> h.counter("imcluster.tls.reloads", "result", "success") == 1);

                // Established connections keep working on the old certificate.
                h.pushRoom("live://tls", CometHarness.message(1000, "after-rotation"));
                assertThat(tcp.expectPushes(1).get(0).text()).isEqualTo("after-rotation");
                assertThat(wss.expectPushes(1).get(0).text()).isEqualTo("after-rotation");
                assertThat(sub.nextPayload()).isEqualTo("after-rotation");
                tcp.heartbeat();
                wss.heartbeat();

                // New handshakes get the new one, on every listener.
                try (SSLSocket fresh = tlsSocket(h.comet.tcpPort(), a, b)) {
                    assertThat(served(fresh)).isEqualTo(b);
                }
                // A new SSLContext: its empty session cache forces a full handshake (no resumption).
                SSLContext freshTrustA = TestCerts.trusting(a);
                assertThatThrownBy(() -> new GoimClient.Ws(HttpClient.newBuilder().sslContext(freshTrustA).build(),
                        URI.create("wss://127.0.0.1:" + h.comet.websocketPort() + "/sub")))
                        .as("a client trusting only the old certificate")
                        .isInstanceOf(java.util.concurrent.CompletionException.class);
                ManagedChannel newGrpc = grpcChannel(h.comet.pubsubGrpcPort(), b);
                grpcHealthy(newGrpc);
                ManagedChannel staleTrust = grpcChannel(h.comet.pubsubGrpcPort(), a);
                StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                        () -> grpcHealthy(staleTrust));
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(h.gauge("imcluster.tls.certificate.not.after"))
                        .isEqualTo(b.getNotAfter().getTime() / 1000.0);
                for (ManagedChannel c : new ManagedChannel[] {oldGrpc, newGrpc, staleTrust}) {
                    c.shutdownNow();
                }
            }
        }
    }

    @Test
    void aBrokenRotationKeepsTheCurrentCertificate() throws Exception {
        publish("v1", first.certPem(), first.keyPem());
        try (CometHarness h = tlsComet()) {
            publish("v2", third.certPem(), first.keyPem()); // key of another certificate
            await().atMost(GoimClient.WAIT).until(() -> h.counter("imcluster.tls.reloads", "result", "failure") == 1);
            try (SSLSocket s = tlsSocket(h.comet.tcpPort(), first.certificate(), third.certificate())) {
                assertThat(served(s)).isEqualTo(first.certificate());
            }
            publish("v3", third.certPem(), third.rsaKeyPem()); // fixed, with a PKCS#1 key this time
            await().atMost(GoimClient.WAIT).until(() -> h.counter("imcluster.tls.reloads", "result", "success") == 1);
            try (SSLSocket s = tlsSocket(h.comet.tcpPort(), first.certificate(), third.certificate())) {
                assertThat(served(s)).isEqualTo(third.certificate());
            }
            assertThat(h.counter("imcluster.tls.reloads", "result", "failure")).isEqualTo(1);
        }
    }

    @Test
    void badFilesFailTheStartWithTheKeyAndFileNamed() throws Exception {
        assertThatThrownBy(this::tlsComet).isInstanceOf(ConfigException.class)
                .hasMessageContaining("comet.tls.certFile: cannot read " + mount.resolve("tls.crt"));
        publish("v1", first.certPem(), second.keyPem());
        assertThatThrownBy(this::tlsComet).isInstanceOf(ConfigException.class)
                .hasMessageContaining("the private key does not belong to the certificate");
    }
}
