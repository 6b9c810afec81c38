package dev.imcluster.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** comet.tls, the rate limits and security.internalTokenFile: every error names its key. */
class SecurityConfigValidationTest {

    private static BrokerConfig load(String... kv) {
        Map<String, String> env = new HashMap<>(Map.of("IMCLUSTER__LOGIC__AUTH__MODE", "goim"));
        for (int i = 0; i < kv.length; i += 2) {
            env.put(kv[i], kv[i + 1]);
        }
        return ConfigLoader.load(null, env);
    }

    @Test
    void defaultsAreOff() {
        BrokerConfig c = load();
        assertThat(c.comet.tls.enabled()).isFalse();
        assertThat(c.comet.publishRateLimit.enabled()).isFalse();
        assertThat(c.logic.pushRateLimit.enabled()).isFalse();
        assertThat(c.security.internalTokenFile).isNull();
    }

    @Test
    void tlsNeedsBothFiles() {
        assertThatThrownBy(() -> load("IMCLUSTER__COMET__TLS__CERT_FILE", "/x/tls.crt"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("comet.tls: comet.tls.certFile and comet.tls.keyFile go together");
        assertThat(load("IMCLUSTER__COMET__TLS__CERT_FILE", "/x/tls.crt", "IMCLUSTER__COMET__TLS__KEY_FILE",
                "/x/tls.key", "IMCLUSTER__COMET__TLS__RELOAD_INTERVAL", "5s").comet.tls.reloadInterval)
                .hasSeconds(5);
    }

    @Test
    void internalTlsNeedsCertificateKeyAndCaTogether() {
        String cert = "IMCLUSTER__SECURITY__INTERNAL_TLS__CERT_FILE";
        String key = "IMCLUSTER__SECURITY__INTERNAL_TLS__KEY_FILE";
        String ca = "IMCLUSTER__SECURITY__INTERNAL_TLS__CA_FILE";
        String name = "IMCLUSTER__SECURITY__INTERNAL_TLS__SERVER_NAME";
        String together = "security.internalTls: security.internalTls.certFile, keyFile and caFile go together";
        assertThatThrownBy(() -> load(cert, "/x/tls.crt", key, "/x/tls.key")).isInstanceOf(ConfigException.class)
                .hasMessageContaining(together);
        assertThatThrownBy(() -> load(ca, "/x/ca.crt")).hasMessageContaining(together);
        assertThatThrownBy(() -> load(name, "demo.default.imcluster.internal"))
                .hasMessageContaining("security.internalTls.serverName: needs security.internalTls.certFile");
        assertThatThrownBy(() -> load(cert, "/x/tls.crt", key, "/x/tls.key", ca, "/x/ca.crt", name, "a b"))
                .hasMessageContaining("security.internalTls.serverName: must be a DNS name");
        assertThatThrownBy(() -> load(cert, "/x/tls.crt", key, "/x/tls.key", ca, "/x/ca.crt",
                "IMCLUSTER__SECURITY__INTERNAL_TLS__RELOAD_INTERVAL", "0s"))
                .hasMessageContaining("security.internalTls.reloadInterval: must be a positive duration");
        BrokerConfig on = load(cert, "/x/tls.crt", key, "/x/tls.key", ca, "/x/ca.crt", name,
                "demo.default.imcluster.internal");
        assertThat(on.security.internalTls.enabled()).isTrue();
        assertThat(on.security.internalTls.reloadInterval).hasSeconds(30);
        assertThat(load().security.internalTls.enabled()).isFalse();
    }

    @Test
    void rateLimitsAreRangeChecked() {
        assertThatThrownBy(() -> load("IMCLUSTER__COMET__PUBLISH_RATE_LIMIT__RATE", "-1"))
                .hasMessageContaining("comet.publishRateLimit.rate: must be between 0");
        assertThatThrownBy(() -> load("IMCLUSTER__LOGIC__PUSH_RATE_LIMIT__BURST", "0"))
                .hasMessageContaining("logic.pushRateLimit.burst: must be between 1");
        assertThatThrownBy(() -> load("IMCLUSTER__LOGIC__PUSH_RATE_LIMIT__MAX_KEYS", "0"))
                .hasMessageContaining("logic.pushRateLimit.maxKeys");
        assertThat(load("IMCLUSTER__COMET__PUBLISH_RATE_LIMIT__RATE", "50").comet.publishRateLimit.enabled()).isTrue();
    }

    @Test
    void aBlankTokenFileIsAnError() {
        assertThatThrownBy(() -> load("IMCLUSTER__SECURITY__INTERNAL_TOKEN_FILE", " "))
                .hasMessageContaining("security.internalTokenFile");
    }

    @Test
    void jwtKeysComeFromAJwksUrlOverHttpsOrOnLoopback() {
        String jwt = "IMCLUSTER__LOGIC__AUTH__MODE";
        assertThatThrownBy(() -> load(jwt, "jwt")).hasMessageContaining("logic.auth.mode: jwt needs logic.auth.jwksUrl");
        assertThatThrownBy(() -> load(jwt, "jwt", "IMCLUSTER__LOGIC__AUTH__JWKS_URL", "http://idp.example/jwks"))
                .hasMessageContaining("logic.auth.jwksUrl: must use https (plain http only to a loopback host");
        assertThat(load(jwt, "jwt", "IMCLUSTER__LOGIC__AUTH__JWKS_URL", "http://127.0.0.1:8080/jwks").logic.auth.jwksUrl)
                .isEqualTo("http://127.0.0.1:8080/jwks");
        LogicConfig.AuthConfig auth = load(jwt, "jwt", "IMCLUSTER__LOGIC__AUTH__JWKS_URL", "https://idp.example/jwks",
                "IMCLUSTER__LOGIC__AUTH__ALGORITHMS", "RS256,EdDSA", "IMCLUSTER__LOGIC__AUTH__CLOCK_SKEW", "1m",
                "IMCLUSTER__LOGIC__AUTH__JWKS_REFRESH_INTERVAL", "30s").logic.auth;
        assertThat(auth.algorithms).containsExactly(LogicConfig.JwtAlgorithm.RS256, LogicConfig.JwtAlgorithm.EdDSA);
        assertThat(auth.clockSkew).hasMinutes(1);
        assertThat(auth.jwksRefreshInterval).hasSeconds(30);
        assertThatThrownBy(() -> load("IMCLUSTER__LOGIC__AUTH__ALGORITHMS", "none"))
                .hasMessageContaining("logic.auth.algorithms");
        assertThatThrownBy(() -> load("IMCLUSTER__LOGIC__AUTH__CLOCK_SKEW", "-1s"))
                .hasMessageContaining("logic.auth.clockSkew");
    }
}
