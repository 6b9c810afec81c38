package dev.imcluster.broker.mq;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.mq.kafka.KafkaBus;
import dev.imcluster.broker.security.BackendTlsFiles;
import dev.imcluster.broker.security.TestCerts;
import dev.imcluster.broker.testing.TestSupport;
import dev.imcluster.broker.testinfra.KafkaServerProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka with mq.kafka.tls and security.internalTls: the role trusts the cluster's CA and presents its certificate,
 * to a Kafka whose SSL listener requires client certificates of that CA.
 */
class KafkaTlsTest {
    @TempDir
    Path dir;

    @Test
    void aKafkaThatRequiresClientCertificatesOfTheClustersCaCarriesTheRolesMessages() throws Exception {
        BackendTlsFiles files = BackendTlsFiles.issue(dir, "kafka", "job");
        TestCerts.Authority ca = files.ca();
        try (KafkaServerProcess kafka = KafkaServerProcess.launchTls(files.serverCertFile(), files.serverKeyFile(),
                files.caFile())) {
            BrokerConfig config = TestSupport.loopbackConfig();
            config.serverId = "job-tls";
            config.mq.backend = MqConfig.Backend.kafka;
            config.mq.kafka.bootstrapServers = kafka.bootstrapServers();
            config.mq.kafka.topic = "tls";
            config.mq.kafka.partitions = 1;
            config.mq.kafka.tls = true;
            config.security.internalTls = files.role();
            try (KafkaBus bus = new KafkaBus(config, new SimpleMeterRegistry())) {
                BusRoundTrip.carriesOneMessage(bus, Duration.ofSeconds(60));
            }
            // Trusting the CA is not enough: the listener wants a client certificate.
            Map<String, Object> trustOnly = Map.of("bootstrap.servers", kafka.bootstrapServers(),
                    "security.protocol", "SSL", "ssl.truststore.type", "PEM",
                    "ssl.truststore.certificates", ca.certPem(),
                    "request.timeout.ms", 5000, "default.api.timeout.ms", 10000);
            try (Admin admin = Admin.create(trustOnly)) {
                assertThatThrownBy(() -> admin.describeCluster().nodes().get(20, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(SslAuthenticationException.class);
            }
        }
    }
}
