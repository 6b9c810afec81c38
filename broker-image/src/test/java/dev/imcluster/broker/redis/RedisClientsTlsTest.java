package dev.imcluster.broker.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.imcluster.broker.config.RedisConfig;
import dev.imcluster.broker.config.SecurityConfig;
import dev.imcluster.broker.security.BackendTlsFiles;
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

    @Test
    void aRedisThatRequiresClientCertificatesOfTheClustersCaAcceptsTheRole() throws Exception {
        BackendTlsFiles files = BackendTlsFiles.issue(dir, "redis", "logic");
        try (RedisServerProcess redis = RedisServerProcess.launchTls(files.serverCertFile(), files.serverKeyFile(),
                files.caFile())) {
            RedisConfig config = new RedisConfig();
            config.address = redis.tlsAddress();
            config.tls = true;
            SecurityConfig.InternalTlsConfig internalTls = files.role();

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
