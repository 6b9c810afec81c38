package dev.imcluster.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.config.SecurityConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** security.internalTls files: checked at start with errors naming key and file; a bad reload changes nothing. */
class InternalTlsTest {
    @TempDir
    static Path certs;
    static TestCerts.Authority ca;
    static TestCerts leaf;

    @TempDir
    Path dir;

    @BeforeAll
    static void certificates() throws Exception {
        ca = TestCerts.Authority.create(certs, "imcluster-ca");
        leaf = ca.issue(certs, "demo-internal", null, 2, "demo.default.imcluster.internal");
    }

    private SecurityConfig.InternalTlsConfig files(String cert, String key, String caBundle) throws Exception {
        SecurityConfig.InternalTlsConfig c = new SecurityConfig.InternalTlsConfig();
        c.certFile = Files.writeString(dir.resolve("tls.crt"), cert).toString();
        c.keyFile = Files.writeString(dir.resolve("tls.key"), key).toString();
        c.caFile = Files.writeString(dir.resolve("ca.crt"), caBundle).toString();
        c.reloadInterval = Duration.ofHours(1);
        return c;
    }

    @Test
    void offWithoutACertificate() {
        assertThat(InternalTls.start(new SecurityConfig.InternalTlsConfig(), new SimpleMeterRegistry())).isNull();
    }

    @Test
    void filesThatDoNotParseStopTheStartNamingTheKey() throws Exception {
        SecurityConfig.InternalTlsConfig missing = files(leaf.certPem(), leaf.keyPem(), ca.certPem());
        missing.caFile = dir.resolve("absent.crt").toString();
        assertThatThrownBy(() -> InternalTls.start(missing, new SimpleMeterRegistry()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("security.internalTls.caFile: cannot read");
        assertThatThrownBy(() -> InternalTls.start(files(leaf.certPem(), leaf.keyPem(), "not a bundle"),
                new SimpleMeterRegistry())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("security.internalTls.caFile (");
        TestCerts other = TestCerts.generate(certs, "other", "EC");
        assertThatThrownBy(() -> InternalTls.start(files(leaf.certPem(), other.keyPem(), ca.certPem()),
                new SimpleMeterRegistry())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("security.internalTls.keyFile (")
                .hasMessageContaining("the private key does not belong to the certificate");
    }

    @Test
    void aBundleThatDoesNotParseAtReloadIsCountedAndTheOldOneStays() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (InternalTls tls = InternalTls.start(files(leaf.certPem(), leaf.keyPem(), ca.certPem()), meters)) {
            Files.writeString(dir.resolve("ca.crt"), "-----BEGIN CERTIFICATE-----\nnot base64!\n");
            assertThat(tls.check()).isFalse();
            assertThat(meters.find("imcluster.tls.reloads").tags("certificate", "internal", "result", "failure")
                    .counter().count()).isEqualTo(1);
            assertThat(tls.jdkContext().getSocketFactory()).isNotNull(); // still usable, with the old bundle
            Files.writeString(dir.resolve("ca.crt"), ca.certPem() + ca.certPem());
            assertThat(tls.check()).isTrue();
        }
    }
}
