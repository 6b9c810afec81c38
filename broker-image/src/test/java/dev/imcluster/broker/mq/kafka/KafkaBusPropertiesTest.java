package dev.imcluster.broker.mq.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.testing.TestSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kafka-clients settings KafkaBus gives its clients for mq.kafka.tls, SASL and security.internalTls. */
class KafkaBusPropertiesTest {
    private static final String CA = "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n";
    private static final String CHAIN = "-----BEGIN CERTIFICATE-----\nrole\n-----END CERTIFICATE-----\n";
    private static final String KEY = "-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n";

    @TempDir
    Path dir;

    private BrokerConfig config(boolean tls, boolean internalTls, boolean sasl) throws Exception {
        BrokerConfig config = TestSupport.loopbackConfig();
        config.mq.backend = MqConfig.Backend.kafka;
        config.mq.kafka.bootstrapServers = "127.0.0.1:9093";
        config.mq.kafka.tls = tls;
        if (internalTls) {
            config.security.internalTls.caFile = Files.writeString(dir.resolve("ca.crt"), CA).toString();
            config.security.internalTls.certFile = Files.writeString(dir.resolve("tls.crt"), CHAIN).toString();
            config.security.internalTls.keyFile = Files.writeString(dir.resolve("tls.key"), KEY).toString();
        }
        if (sasl) {
            config.mq.kafka.saslUsername = "im";
            config.mq.kafka.saslPasswordFile = Files.writeString(dir.resolve("password"), "secret\n").toString();
            config.mq.kafka.properties.put("sasl.mechanism", "SCRAM-SHA-512");
        }
        return config;
    }

    @Test
    void tlsWithInternalTlsTrustsTheCaAndPresentsTheRolesCertificate() throws Exception {
        Map<String, Object> p = KafkaBus.commonProperties(config(true, true, false));
        assertThat(p).containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.truststore.type", "PEM")
                .containsEntry("ssl.truststore.certificates", CA + JvmTrustedCertificates.pem())
                .containsEntry("ssl.keystore.type", "PEM")
                .containsEntry("ssl.keystore.certificate.chain", CHAIN)
                .containsEntry("ssl.keystore.key", KEY)
                .doesNotContainKey("sasl.jaas.config");
    }

    @Test
    void tlsWithSaslIsSaslSslWithTheSameStores() throws Exception {
        Map<String, Object> p = KafkaBus.commonProperties(config(true, true, true));
        assertThat(p).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.certificates", CA + JvmTrustedCertificates.pem())
                .containsEntry("ssl.keystore.certificate.chain", CHAIN)
                .containsEntry("ssl.keystore.key", KEY);
        assertThat((String) p.get("sasl.jaas.config"))
                .startsWith("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"im\"");
    }

    @Test
    void tlsWithoutInternalTlsLeavesTheJvmTrustStoreAndNoClientCertificate() throws Exception {
        Map<String, Object> p = KafkaBus.commonProperties(config(true, false, false));
        assertThat(p).containsEntry("security.protocol", "SSL")
                .doesNotContainKeys("ssl.truststore.type", "ssl.truststore.certificates", "ssl.keystore.type",
                        "ssl.keystore.certificate.chain", "ssl.keystore.key");
    }

    @Test
    void aManagedKafkasPublicCaStaysTrustedBesideTheClustersAndAPrivateOneComesFromProperties() throws Exception {
        // The JVM's public CAs (a managed Kafka's certificate) are in the trust store with the cluster's CA.
        String trusted = (String) KafkaBus.commonProperties(config(true, true, false))
                .get("ssl.truststore.certificates");
        assertThat(trusted).startsWith(CA);
        long cas = trusted.lines().filter(l -> l.equals("-----BEGIN CERTIFICATE-----")).count();
        assertThat(cas).as("the cluster's CA and the JVM's").isGreaterThan(10);
        // A Kafka with a private CA of its own (Strimzi's cluster CA): mq.kafka.properties wins.
        BrokerConfig own = config(true, true, false);
        own.mq.kafka.properties.put("ssl.truststore.certificates", "STRIMZI CA");
        assertThat(KafkaBus.commonProperties(own)).containsEntry("ssl.truststore.certificates", "STRIMZI CA")
                .containsEntry("ssl.keystore.key", KEY);
    }

    @Test
    void withoutTlsInternalTlsIsNotUsedForKafka() throws Exception {
        assertThat(KafkaBus.commonProperties(config(false, true, false)))
                .containsEntry("security.protocol", "PLAINTEXT")
                .doesNotContainKeys("ssl.truststore.certificates", "ssl.keystore.key");
        // SASL alone keeps the broker's default, SASL_SSL; the operator renders SASL_PLAINTEXT when TLS is off.
        assertThat(KafkaBus.commonProperties(config(false, false, true)))
                .containsEntry("security.protocol", "SASL_SSL");
        BrokerConfig plain = config(false, false, true);
        plain.mq.kafka.properties.put("security.protocol", "SASL_PLAINTEXT");
        assertThat(KafkaBus.commonProperties(plain)).containsEntry("security.protocol", "SASL_PLAINTEXT");
    }
}
