package dev.imcluster.broker.mq.mqtt;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.mq.BusRoundTrip;
import dev.imcluster.broker.security.InternalTls;
import dev.imcluster.broker.security.BackendTlsFiles;
import dev.imcluster.broker.security.TestCerts;
import dev.imcluster.broker.testinfra.MosquittoServerProcess;
import dev.imcluster.broker.testing.TestSupport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MQTT over ssl:// with security.internalTls: the role trusts the cluster's CA and presents its certificate. */
class MqttTlsTest {
    @TempDir
    Path dir;

    @Test
    void aBrokerThatRequiresClientCertificatesOfTheClustersCaCarriesTheRolesMessages() throws Exception {
        BackendTlsFiles files = BackendTlsFiles.issue(dir, "mosquitto", "job");
        TestCerts.Authority ca = files.ca();
        try (MosquittoServerProcess mosquitto = MosquittoServerProcess.launchTls(files.serverCertFile(),
                files.serverKeyFile(), files.caFile())) {
            BrokerConfig config = TestSupport.loopbackConfig();
            config.serverId = "job-tls";
            config.mq.backend = MqConfig.Backend.mqtt;
            config.mq.mqtt.url = mosquitto.tlsUrl();
            config.security.internalTls = files.role();
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            try (InternalTls tls = InternalTls.start(config.security.internalTls, meters);
                 MqttBus bus = new MqttBus(config, meters, tls.jdkContext())) {
                BusRoundTrip.carriesOneMessage(bus, Duration.ofSeconds(30));
            }
            // Trusting the CA is not enough: the broker wants a client certificate.
            MqttConnectionOptions trustOnly = new MqttConnectionOptions();
            trustOnly.setSocketFactory(TestCerts.trusting(ca.certificate()).getSocketFactory());
            trustOnly.setConnectionTimeout(5);
            MqttClient client = new MqttClient(mosquitto.tlsUrl(), "trust-only", new MemoryPersistence());
            try {
                assertThatThrownBy(() -> client.connect(trustOnly)).isInstanceOf(Exception.class);
            } finally {
                client.close(true);
            }
        }
    }
}
