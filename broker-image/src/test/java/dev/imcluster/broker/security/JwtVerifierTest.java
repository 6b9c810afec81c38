package dev.imcluster.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.config.LogicConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwtVerifierTest {

    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final long NOW = 1_800_000_000L;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC);
    private static KeyPair rsa;
    private static KeyPair otherRsa;

    @TempDir
    Path dir;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        rsa = gen.generateKeyPair();
        otherRsa = gen.generateKeyPair();
    }

    private static JwtVerifier hs() {
        return new JwtVerifier(SECRET, null, "imcluster", "chat", CLOCK);
    }

    private static JwtVerifier rs() {
        return new JwtVerifier(null, rsa.getPublic(), null, null, CLOCK);
    }

    @Test
    void acceptsAValidHs256Token() throws Exception {
        String token = JwtTestTokens.hs256(SECRET, "{\"mid\":7,\"iss\":\"imcluster\",\"aud\":[\"x\",\"chat\"],\"exp\":"
                + (NOW + 60) + ",\"nbf\":" + (NOW - 60) + "}");
        assertThat(hs().verify(token).get("mid").asLong()).isEqualTo(7);
    }

    @Test
    void acceptsAValidRs256Token() throws Exception {
        String token = JwtTestTokens.rs256(rsa.getPrivate(), "{\"sub\":\"9\",\"exp\":" + (NOW + 60) + "}");
        assertThat(rs().verify(token).get("sub").asText()).isEqualTo("9");
    }

    @Test
    void refusesExpiredAndNotYetValidTokens() throws Exception {
        String expired = JwtTestTokens.hs256(SECRET, "{\"iss\":\"imcluster\",\"aud\":\"chat\",\"exp\":" + (NOW - 120) + "}");
        assertThatThrownBy(() -> hs().verify(expired)).isInstanceOf(AuthException.class).hasMessageContaining("expired");
        String early = JwtTestTokens.hs256(SECRET, "{\"iss\":\"imcluster\",\"aud\":\"chat\",\"nbf\":" + (NOW + 120) + "}");
        assertThatThrownBy(() -> hs().verify(early)).isInstanceOf(AuthException.class).hasMessageContaining("nbf");
    }

    @Test
    void refusesWrongSignatures() throws Exception {
        String wrongSecret = JwtTestTokens.hs256("another-secret-another-secret-xx".getBytes(StandardCharsets.UTF_8),
                "{\"iss\":\"imcluster\",\"aud\":\"chat\"}");
        assertThatThrownBy(() -> hs().verify(wrongSecret)).isInstanceOf(AuthException.class)
                .hasMessageContaining("signature is invalid");
        String wrongKey = JwtTestTokens.rs256(otherRsa.getPrivate(), "{}");
        assertThatThrownBy(() -> rs().verify(wrongKey)).isInstanceOf(AuthException.class)
                .hasMessageContaining("signature is invalid");
        String good = JwtTestTokens.rs256(rsa.getPrivate(), "{\"mid\":1}");
        String tampered = good.substring(0, good.indexOf('.') + 1) + JwtTestTokens.part("{\"mid\":2}")
                + good.substring(good.lastIndexOf('.'));
        assertThatThrownBy(() -> rs().verify(tampered)).isInstanceOf(AuthException.class);
    }

    @Test
    void refusesAlgNoneAndAlgorithmsWithoutAKey() throws Exception {
        assertThatThrownBy(() -> hs().verify(JwtTestTokens.unsigned("{\"mid\":1}")))
                .isInstanceOf(AuthException.class).hasMessageContaining("'none' is not accepted");
        // An HS256 token "signed" with the RSA public key as secret must not pass an RS256-only verifier.
        String confused = JwtTestTokens.hs256(rsa.getPublic().getEncoded(), "{\"mid\":1}");
        assertThatThrownBy(() -> rs().verify(confused)).isInstanceOf(AuthException.class)
                .hasMessageContaining("not configured");
    }

    @Test
    void refusesWrongIssuerOrAudienceAndMalformedTokens() throws Exception {
        assertThatThrownBy(() -> hs().verify(JwtTestTokens.hs256(SECRET, "{\"iss\":\"evil\",\"aud\":\"chat\"}")))
                .isInstanceOf(AuthException.class).hasMessageContaining("issuer");
        assertThatThrownBy(() -> hs().verify(JwtTestTokens.hs256(SECRET, "{\"iss\":\"imcluster\",\"aud\":\"ads\"}")))
                .isInstanceOf(AuthException.class).hasMessageContaining("audience");
        assertThatThrownBy(() -> hs().verify("not-a-jwt")).isInstanceOf(AuthException.class)
                .hasMessageContaining("malformed");
        assertThatThrownBy(() -> hs().verify("a.b.c")).isInstanceOf(AuthException.class)
                .hasMessageContaining("malformed");
    }

    @Test
    void loadsKeysFromConfiguredFiles() throws Exception {
        Path pem = dir.resolve("pub.pem");
        Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(rsa.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        Path secret = dir.resolve("secret");
        Files.write(secret, (new String(SECRET, StandardCharsets.UTF_8) + "\n").getBytes(StandardCharsets.UTF_8));
        LogicConfig.AuthConfig auth = new LogicConfig.AuthConfig();
        auth.rs256PublicKeyFile = pem.toString();
        auth.hs256SecretFile = secret.toString();
        JwtVerifier both = JwtVerifier.fromConfig(auth);
        assertThat(both.verify(JwtTestTokens.rs256(rsa.getPrivate(), "{\"mid\":3}")).get("mid").asInt()).isEqualTo(3);
        assertThat(both.verify(JwtTestTokens.hs256(SECRET, "{\"mid\":4}")).get("mid").asInt()).isEqualTo(4);

        Files.writeString(secret, "short");
        assertThatThrownBy(() -> JwtVerifier.fromConfig(auth)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("logic.auth.hs256SecretFile");
        auth.hs256SecretFile = null;
        Files.writeString(pem, "garbage");
        assertThatThrownBy(() -> JwtVerifier.fromConfig(auth)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("logic.auth.rs256PublicKeyFile");
    }
}
