package dev.imcluster.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.sun.net.httpserver.HttpServer;
import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.config.LogicConfig;
import dev.imcluster.broker.security.JwtTestTokens.SigningKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys from a JWK Set URL (a local identity provider that rotates its keys) and from a JWK Set file. */
class JwksTest {
    private static SigningKey k1;
    private static SigningKey k2;

    @TempDir
    Path dir;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final AtomicReference<String> served = new AtomicReference<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicInteger fetches = new AtomicInteger();
    private HttpServer idp;
    private String url;

    @BeforeAll
    static void keys() throws Exception {
        k1 = SigningKey.generate(JWSAlgorithm.RS256, "k1");
        k2 = SigningKey.generate(JWSAlgorithm.RS256, "k2");
    }

    @BeforeEach
    void startIdentityProvider() throws Exception {
        idp = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        idp.createContext("/jwks", exchange -> {
            fetches.incrementAndGet();
            byte[] body = served.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/jwk-set+json");
            exchange.sendResponseHeaders(status.get(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        idp.start();
        url = "http://127.0.0.1:" + idp.getAddress().getPort() + "/jwks";
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        idp.stop(0);
    }

    private JwtVerifier verifier(Consumer<LogicConfig.AuthConfig> setup) {
        LogicConfig.AuthConfig auth = new LogicConfig.AuthConfig();
        setup.accept(auth);
        JwtVerifier v = JwtVerifier.fromConfig(auth, meters);
        closeables.add(v);
        return v;
    }

    private static String token(SigningKey key) throws Exception {
        return key.sign("{\"sub\":\"u\",\"exp\":" + (System.currentTimeMillis() / 1000 + 3600) + "}");
    }

    private static String refusal(JwtVerifier v, String token) {
        return catchThrowableOfType(AuthException.class, () -> v.verify(token)).reason();
    }

    private double count(String name, String... tags) {
        Counter c = meters.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aKeyRotatedAtTheIdentityProviderIsUsedWithNoRestart() throws Exception {
        served.set(JwtTestTokens.jwks(k1));
        JwtVerifier v = verifier(a -> a.jwksUrl = url);
        assertThat(v.verify(token(k1)).get("sub").asText()).isEqualTo("u");
        assertThat(v.verify(token(k1)).get("sub").asText()).isEqualTo("u");
        assertThat(fetches).as("fetched once at start, then cached").hasValue(1);

        served.set(JwtTestTokens.jwks(k2));
        assertThat(v.verify(token(k2)).get("sub").asText()).as("unknown kid: fetched again at once").isEqualTo("u");
        assertThat(fetches).hasValue(2);

        // k1 is gone; tokens naming unknown keys cost no further fetch within ten seconds.
        assertThat(refusal(v, token(k1))).isEqualTo("unknown_key");
        for (int i = 0; i < 20; i++) {
            assertThat(refusal(v, SigningKey.generate(JWSAlgorithm.HS256, "made-up-" + i).with(JWSAlgorithm.HS256)
                    .sign("{}"))).as("a kid no key has").isEqualTo("unknown_key");
        }
        assertThat(fetches).hasValue(2);
        assertThat(count("imcluster.auth.refused", "reason", "unknown_key")).isEqualTo(21);
        assertThat(count("imcluster.auth.jwks.refreshes", "source", "url", "result", "success")).isEqualTo(2);
    }

    @Test
    void whileTheIdentityProviderFailsTheLastGoodKeysStay() throws Exception {
        served.set(JwtTestTokens.jwks(k1));
        JwtVerifier v = verifier(a -> {
            a.jwksUrl = url;
            a.jwksRefreshInterval = Duration.ofMillis(50);
        });
        status.set(500);
        await().until(() -> count("imcluster.auth.jwks.refreshes", "source", "url", "result", "failure") >= 2);
        assertThat(v.verify(token(k1)).get("sub").asText()).isEqualTo("u");
        status.set(200);
        served.set("{\"keys\":[]}");
        double failed = count("imcluster.auth.jwks.refreshes", "source", "url", "result", "failure");
        await().until(() -> count("imcluster.auth.jwks.refreshes", "source", "url", "result", "failure") > failed);
        served.set("<html>maintenance</html>");
        double failedAgain = count("imcluster.auth.jwks.refreshes", "source", "url", "result", "failure");
        await().until(() -> count("imcluster.auth.jwks.refreshes", "source", "url", "result", "failure")
                > failedAgain);
        assertThat(v.verify(token(k1)).get("sub").asText()).isEqualTo("u");

        served.set(JwtTestTokens.jwks(k1, k2));
        await().untilAsserted(() -> assertThat(v.verify(token(k2)).get("sub").asText()).isEqualTo("u"));
    }

    @Test
    void anUnreachableIdentityProviderAtStartDoesNotStopTheBroker() throws Exception {
        served.set(JwtTestTokens.jwks(k1));
        status.set(503);
        JwtVerifier v = verifier(a -> a.jwksUrl = url);
        assertThat(count("imcluster.auth.jwks.refreshes", "source", "url", "result", "failure")).isEqualTo(1);
        status.set(200);
        assertThat(v.verify(token(k1)).get("sub").asText()).as("fetched for the unknown kid").isEqualTo("u");
    }

    @Test
    void aJwksFileIsReloadedWhenItChanges() throws Exception {
        Path file = Files.writeString(dir.resolve("jwks.json"), JwtTestTokens.jwks(k1));
        JwtVerifier v = verifier(a -> {
            a.jwksFile = file.toString();
            a.jwksRefreshInterval = Duration.ofMillis(100);
        });
        assertThat(v.verify(token(k1)).get("sub").asText()).isEqualTo("u");

        Files.writeString(file, JwtTestTokens.jwks(k2));
        assertThat(v.verify(token(k2)).get("sub").asText()).as("unknown kid: re-read at once").isEqualTo("u");
        assertThat(refusal(v, token(k1))).isEqualTo("unknown_key");

        // Back to k1 within ten seconds: only the periodic re-read can bring it.
        Files.writeString(file, JwtTestTokens.jwks(k1));
        await().untilAsserted(() -> assertThat(v.verify(token(k1)).get("sub").asText()).isEqualTo("u"));

        Files.writeString(file, "not json");
        double failed = count("imcluster.auth.jwks.refreshes", "source", "file", "result", "failure");
        await().until(() -> count("imcluster.auth.jwks.refreshes", "source", "file", "result", "failure") > failed);
        assertThat(v.verify(token(k1)).get("sub").asText()).as("a broken file keeps the keys").isEqualTo("u");
    }

    @Test
    void aJwksFileMustBeValidAtStart() throws Exception {
        Path file = Files.writeString(dir.resolve("jwks.json"), "{\"keys\":[]}");
        assertThatThrownBy(() -> verifier(a -> a.jwksFile = file.toString())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("logic.auth.jwksFile").hasMessageContaining("no keys");
    }

    @Test
    void fileKeysAndAJwksVerifyTogether() throws Exception {
        byte[] secret = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
        Path secretFile = Files.write(dir.resolve("secret"), secret);
        served.set(JwtTestTokens.jwks(k1));
        JwtVerifier v = verifier(a -> {
            a.jwksUrl = url;
            a.hs256SecretFile = secretFile.toString();
        });
        assertThat(v.verify(token(k1)).get("sub").asText()).isEqualTo("u");
        assertThat(v.verify(JwtTestTokens.hs256(secret, "{\"mid\":5}")).get("mid").asInt()).isEqualTo(5);
    }
}
