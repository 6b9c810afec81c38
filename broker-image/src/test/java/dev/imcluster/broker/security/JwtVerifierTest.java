package dev.imcluster.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.config.LogicConfig;
import dev.imcluster.broker.security.JwtTestTokens.SigningKey;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
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
        return JwtTestTokens.verifier(CLOCK, "imcluster", "chat", new OctetSequenceKey.Builder(SECRET).build());
    }

    private static JwtVerifier rs() {
        return JwtTestTokens.verifier(CLOCK, null, null, new RSAKey.Builder((RSAPublicKey) rsa.getPublic()).build());
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
                .hasMessageContaining("'HS256' is not accepted; use RS256, RS384, RS512, PS256, PS384, PS512");
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
        JwtVerifier both = JwtVerifier.fromConfig(auth, new SimpleMeterRegistry());
        assertThat(both.verify(JwtTestTokens.rs256(rsa.getPrivate(), "{\"mid\":3}")).get("mid").asInt()).isEqualTo(3);
        assertThat(both.verify(JwtTestTokens.hs256(SECRET, "{\"mid\":4}")).get("mid").asInt()).isEqualTo(4);

        Files.writeString(secret, "short");
        assertThatThrownBy(() -> JwtVerifier.fromConfig(auth, new SimpleMeterRegistry())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("logic.auth.hs256SecretFile");
        auth.hs256SecretFile = null;
        Files.writeString(pem, "garbage");
        assertThatThrownBy(() -> JwtVerifier.fromConfig(auth, new SimpleMeterRegistry())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("logic.auth.rs256PublicKeyFile");
    }

    private static String claims(String extra) {
        return "{" + extra + (extra.isEmpty() ? "" : ",") + "\"iss\":\"idp\",\"aud\":\"chat\"}";
    }

    private static double refused(SimpleMeterRegistry meters, String reason) {
        return meters.get("imcluster.auth.refused").tag("reason", reason).counter().count();
    }

    @Test
    void everySupportedAlgorithmSignsAndVerifies() throws Exception {
        assertThat(JwtVerifier.SUPPORTED).extracting(JWSAlgorithm::getName).containsExactly("HS256", "HS384", "HS512",
                "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519");
        for (JWSAlgorithm alg : JwtVerifier.SUPPORTED) {
            SigningKey key = SigningKey.generate(alg, "k-" + alg);
            JwtVerifier v = JwtTestTokens.verifier(CLOCK, "idp", "chat", key.publicJwk());
            assertThat(v.verify(key.sign(claims("\"sub\":\"" + alg + "\""))).get("sub").asText()).as(alg.getName())
                    .isEqualTo(alg.getName());
            String other = SigningKey.generate(alg, "k-" + alg).sign(claims(""));
            assertThat(catchThrowableOfType(AuthException.class, () -> v.verify(other)).reason()).as(alg.getName())
                    .isEqualTo("bad_signature");
        }
    }

    @Test
    void everyRefusalSaysWhyAndIsCounted() throws Exception {
        SigningKey k1 = SigningKey.generate(JWSAlgorithm.ES256, "k1");
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        JwtVerifier v = new JwtVerifier(JwtKeys.of(k1.publicJwk()), Set.of(), "idp", "chat", Duration.ofSeconds(30),
                CLOCK, meters);
        Map<String, String> tokens = new LinkedHashMap<>();
        tokens.put("expired", k1.sign(claims("\"exp\":" + (NOW - 31))));
        tokens.put("not_yet_valid", k1.sign(claims("\"nbf\":" + (NOW + 31))));
        tokens.put("wrong_issuer", k1.sign("{\"iss\":\"evil\",\"aud\":\"chat\"}"));
        tokens.put("wrong_audience", k1.sign("{\"iss\":\"idp\",\"aud\":[\"ads\",\"news\"]}"));
        tokens.put("unknown_key", SigningKey.generate(JWSAlgorithm.ES256, "k9").sign(claims("")));
        tokens.put("bad_signature", SigningKey.generate(JWSAlgorithm.ES256, "k1").sign(claims("")));
        tokens.put("algorithm_not_allowed", JwtTestTokens.unsigned(claims("")));
        tokens.put("malformed", "not.a-jwt");
        for (Map.Entry<String, String> t : tokens.entrySet()) {
            AuthException e = catchThrowableOfType(AuthException.class, () -> v.verify(t.getValue()));
            assertThat(e.reason()).isEqualTo(t.getKey());
            assertThat(e.getMessage()).startsWith(t.getKey() + ": ");
            assertThat(refused(meters, t.getKey())).as(t.getKey()).isEqualTo(1);
        }
        assertThat(tokens.keySet()).containsExactlyInAnyOrderElementsOf(
                Arrays.stream(JwtRefusal.values()).map(JwtRefusal::tag).toList());
        // Within the clock skew: accepted.
        assertThat(v.verify(k1.sign(claims("\"exp\":" + (NOW - 29) + ",\"nbf\":" + (NOW + 29)))).get("iss").asText())
                .isEqualTo("idp");
    }

    @Test
    void theClockSkewIsConfigurable() throws Exception {
        SigningKey key = SigningKey.generate(JWSAlgorithm.HS256, null);
        String token = key.sign("{\"exp\":" + (NOW - 10) + "}");
        JwtVerifier strict = new JwtVerifier(JwtKeys.of(key.publicJwk()), Set.of(), null, null, Duration.ofSeconds(5),
                CLOCK, new SimpleMeterRegistry());
        assertThat(catchThrowableOfType(AuthException.class, () -> strict.verify(token)).reason()).isEqualTo("expired");
        assertThat(JwtTestTokens.verifier(CLOCK, null, null, key.publicJwk()).verify(token).get("exp").asLong())
                .isEqualTo(NOW - 10);
    }

    @Test
    void algorithmsOutsideTheAllowListAreRefused() throws Exception {
        SigningKey rsaKey = SigningKey.generate(JWSAlgorithm.PS256, "r");
        SigningKey ec = SigningKey.generate(JWSAlgorithm.ES256, "e");
        JwtVerifier v = new JwtVerifier(JwtKeys.of(rsaKey.publicJwk(), ec.publicJwk()),
                Set.of(JWSAlgorithm.PS256, JWSAlgorithm.ES256, JWSAlgorithm.HS256), null, null, Duration.ofSeconds(30),
                CLOCK, new SimpleMeterRegistry());
        assertThat(v.verify(rsaKey.sign("{\"mid\":1}")).get("mid").asInt()).isEqualTo(1);
        assertThat(v.verify(ec.sign("{\"mid\":2}")).get("mid").asInt()).isEqualTo(2);
        AuthException rs256 = catchThrowableOfType(AuthException.class,
                () -> v.verify(rsaKey.with(JWSAlgorithm.RS256).sign("{}")));
        assertThat(rs256.reason()).isEqualTo("algorithm_not_allowed");
        assertThat(rs256).hasMessage("algorithm_not_allowed: JWT alg 'RS256' is not accepted; use HS256, PS256, ES256");
        // Allowed, but no key can check it.
        assertThat(catchThrowableOfType(AuthException.class, () -> v.verify(JwtTestTokens.hs256(SECRET, "{}")))
                .reason()).isEqualTo("unknown_key");
    }

    @Test
    void hmacSecretsOnlyVerifyHashesNoLongerThanThemselves() throws Exception {
        SigningKey hs512 = SigningKey.generate(JWSAlgorithm.HS512, null);
        JwtVerifier short32 = hs();
        assertThat(catchThrowableOfType(AuthException.class, () -> short32.verify(hs512.sign("{}"))).getMessage())
                .isEqualTo("algorithm_not_allowed: JWT alg 'HS512' is not accepted; use HS256");
    }
}
