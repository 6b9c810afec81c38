package dev.imcluster.broker.mq;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.mq.nats.NatsJetStreamBus;
import dev.imcluster.broker.security.InternalTls;
import dev.imcluster.broker.security.BackendTlsFiles;
import dev.imcluster.broker.security.TestCerts;
import dev.imcluster.broker.testing.TestSupport;
import dev.imcluster.broker.testinfra.NatsServerProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NATS over tls:// with security.internalTls: the role trusts the cluster's CA and presents its certificate. */
class NatsTlsTest {
    @TempDir
    Path dir;

    @Test
    void aNatsThatRequiresClientCertificatesOfTheClustersCaAcceptsTheRole() throws Exception {
        BackendTlsFiles files = BackendTlsFiles.issue(dir, "nats", "logic");
        TestCerts.Authority ca = files.ca();
        try (NatsServerProcess nats = NatsServerProcess.launchTls(files.serverCertFile(), files.serverKeyFile(),
                files.caFile())) {
            BrokerConfig config = TestSupport.loopbackConfig();
            config.mq.backend = MqConfig.Backend.nats;
            config.mq.nats.url = nats.url();
            config.security.internalTls = files.role();
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            try (InternalTls tls = InternalTls.start(config.security.internalTls, meters);
                 NatsJetStreamBus bus = new NatsJetStreamBus(config, meters, tls.jdkContext())) {
                BusRoundTrip.carriesOneMessage(bus, Duration.ofSeconds(30));
            }
            // Trusting the CA is not enough: the server wants a client certificate.
            javax.net.ssl.SSLContext trustOnly = TestCerts.trusting(ca.certificate());
            assertThatThrownBy(() -> Nats.connect(new Options.Builder().server(nats.url()).sslContext(trustOnly)
                    .connectionTimeout(Duration.ofSeconds(5)).maxReconnects(0).build()))
                    .isInstanceOf(Exception.class);
        }
    }
}
