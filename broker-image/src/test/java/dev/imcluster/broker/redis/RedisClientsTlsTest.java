package dev.imcluster.broker.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.imcluster.broker.config.RedisConfig;
import dev.imcluster.broker.config.SecurityConfig;
import dev.imcluster.broker.security.TestCerts;
import dev.imcluster.broker.testinfra.RedisServerProcess;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Redis over TLS with security.internalTls: the role trusts the cluster's CA and presents its certificate. */
class RedisClientsTlsTest {
    @TempDir
    Path dir;

    private Path write(String name, String pem) throws Exception {
        return Files.writeString(dir.resolve(name), pem);
    }

    @Test
    void aRedisThatRequiresClientCertificatesOfTheClustersCaAcceptsTheRole() throws Exception {
        TestCerts.Authority ca = TestCerts.Authority.create(dir, "imcluster-ca");
        TestCerts server = ca.issue(dir, "redis", null, 2, "localhost");
        TestCerts role = ca.issue(dir, "logic", null, 2, "demo.default.imcluster.internal");
        Path caFile = write("ca.crt", ca.certPem());
        try (RedisServerProcess redis = RedisServerProcess.launchTls(write("redis.crt", server.certPem()).toString(),
                write("redis.key", server.keyPem()).toString(), caFile.toString())) {
            RedisConfig config = new RedisConfig();
            config.address = redis.tlsAddress();
            config.tls = true;
            SecurityConfig.InternalTlsConfig internalTls = new SecurityConfig.InternalTlsConfig();
            internalTls.certFile = write("tls.crt", role.certPem()).toString();
            internalTls.keyFile = write("tls.key", role.keyPem()).toString();
            internalTls.caFile = caFile.toString();

            RedisClient client = RedisClients.client(config, internalTls, null);
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                assertThat(c.sync().ping()).isEqualTo("PONG");
            } finally {
                RedisClients.shutdown(client);
            }
            // Without internal TLS the role has neither the CA nor a certificate: no connection.
            RedisClient without = RedisClients.client(config, new SecurityConfig.InternalTlsConfig(), null);
            try {
                assertThatThrownBy(without::connect).isInstanceOf(io.lettuce.core.RedisConnectionException.class);
            } finally {
                RedisClients.shutdown(without);
            }
        }
    }
}
