package dev.imcluster.broker.security;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.config.LogicConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The keys client JWTs are verified with: fixed ones (the HS256 secret and RSA public key files of
 * {@code logic.auth}, or given by a test) and JWK Sets that are re-read, from {@code jwksFile} and
 * {@code jwksUrl}, every {@code jwksRefreshInterval} and, at most every {@link #ON_DEMAND_REFRESH_EVERY}, when a
 * token names a key they do not have. So a key rotated at the identity provider is used with no restart.
 */
public final class JwtKeys implements AutoCloseable {
    /** The least time between two fetches caused by tokens naming unknown keys. */
    public static final Duration ON_DEMAND_REFRESH_EVERY = Duration.ofSeconds(10);

    private final List<JWK> fixed;
    private final List<JwksSource> sets;
    private final ScheduledExecutorService refresher;

    private JwtKeys(List<JWK> fixed, List<JwksSource> sets, Duration refreshInterval) {
        this.fixed = List.copyOf(fixed);
        this.sets = List.copyOf(sets);
        if (this.sets.isEmpty()) {
            refresher = null;
            return;
        }
        refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "jwks-refresh");
            t.setDaemon(true);
            return t;
        });
        long every = refreshInterval.toMillis();
        refresher.scheduleWithFixedDelay(() -> this.sets.forEach(JwksSource::refresh), every, every,
                TimeUnit.MILLISECONDS);
    }

    /** Fixed keys only (tests, tools). */
    public static JwtKeys of(JWK... keys) {
        if (keys.length == 0) {
            throw new IllegalArgumentException("JwtKeys.of needs at least one key");
        }
        return new JwtKeys(List.of(keys), List.of(), Duration.ofMinutes(5));
    }

    /**
     * The keys of {@code logic.auth}: key files are read now and must be valid (the error names the key); the
     * JWKS URL is fetched now, and when that fails the broker starts anyway and keeps trying.
     */
    public static JwtKeys fromConfig(LogicConfig.AuthConfig auth, MeterRegistry meters) {
        List<JWK> fixed = new ArrayList<>();
        if (auth.hs256SecretFile != null) {
            byte[] secret = read("logic.auth.hs256SecretFile", auth.hs256SecretFile).trim()
                    .getBytes(StandardCharsets.UTF_8);
            if (secret.length < 32) {
                throw new ConfigException("logic.auth.hs256SecretFile: the HS256 secret must be at least 32 bytes, got "
                        + secret.length);
            }
            fixed.add(new OctetSequenceKey.Builder(secret).build());
        }
        if (auth.rs256PublicKeyFile != null) {
            try {
                PublicKey key = parseRsaPublicKey(read("logic.auth.rs256PublicKeyFile", auth.rs256PublicKeyFile));
                fixed.add(new RSAKey.Builder((RSAPublicKey) key).build());
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw new ConfigException("logic.auth.rs256PublicKeyFile: not an RSA public key in PEM"
                        + " (-----BEGIN PUBLIC KEY-----): " + e.getMessage(), e);
            }
        }
        List<JwksSource> sets = new ArrayList<>();
        if (auth.jwksFile != null) {
            JwksSource file = JwksSource.file(auth.jwksFile, ON_DEMAND_REFRESH_EVERY, meters);
            try {
                file.load();
            } catch (IOException | ParseException e) {
                throw new ConfigException("logic.auth.jwksFile: cannot load a JWK Set from " + auth.jwksFile + ": "
                        + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConfigException("logic.auth.jwksFile: interrupted while reading " + auth.jwksFile, e);
            }
            sets.add(file);
        }
        if (auth.jwksUrl != null) {
            JwksSource url = JwksSource.url(auth.jwksUrl, ON_DEMAND_REFRESH_EVERY, meters);
            url.refresh();
            sets.add(url);
        }
        return new JwtKeys(fixed, sets, auth.jwksRefreshInterval);
    }

    private static String read(String configKey, String file) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            throw new ConfigException(configKey + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** An X.509 SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"), as openssl rsa -pubout writes. */
    static PublicKey parseRsaPublicKey(String pem) throws GeneralSecurityException {
        if (!pem.contains("-----BEGIN PUBLIC KEY-----")) {
            throw new IllegalArgumentException("expected -----BEGIN PUBLIC KEY-----");
        }
        String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }

    /** Every key in use now. */
    List<JWK> current() {
        if (sets.isEmpty()) {
            return fixed;
        }
        List<JWK> all = new ArrayList<>(fixed);
        sets.forEach(s -> all.addAll(s.keys()));
        return all;
    }

    /** Whether {@link #refreshForUnknownKey} can bring new keys. */
    boolean refreshable() {
        return !sets.isEmpty();
    }

    /** Re-reads the JWK Sets now (rate-limited) because a token names a key they do not have. */
    void refreshForUnknownKey() {
        sets.forEach(JwksSource::refreshOnDemand);
    }

    @Override
    public void close() {
        if (refresher != null) {
            refresher.shutdownNow();
        }
    }
}
