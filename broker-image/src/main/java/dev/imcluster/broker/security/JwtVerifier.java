package dev.imcluster.broker.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.config.LogicConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Verifies compact JWS tokens with the JDK's crypto: HS256 (shared secret) and RS256 (RSA public key). The
 * header's alg must be one this verifier has a key for ("none" and everything else are refused); exp and nbf are
 * checked when present (with {@link #LEEWAY} for clock skew), iss and aud when configured.
 */
public final class JwtVerifier {

    /** Clock skew tolerated on exp and nbf. */
    public static final Duration LEEWAY = Duration.ofSeconds(30);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Decoder B64 = Base64.getUrlDecoder();

    private final byte[] hmacSecret;
    private final PublicKey rsaKey;
    private final String issuer;
    private final String audience;
    private final Clock clock;

    public JwtVerifier(byte[] hmacSecret, PublicKey rsaKey, String issuer, String audience, Clock clock) {
        if (hmacSecret == null && rsaKey == null) {
            throw new IllegalArgumentException("a JWT verifier needs an HS256 secret or an RS256 public key");
        }
        this.hmacSecret = hmacSecret;
        this.rsaKey = rsaKey;
        this.issuer = blankToNull(issuer);
        this.audience = blankToNull(audience);
        this.clock = clock;
    }

    public static JwtVerifier fromConfig(LogicConfig.AuthConfig auth) {
        byte[] secret = null;
        PublicKey key = null;
        if (auth.hs256SecretFile != null) {
            secret = read("logic.auth.hs256SecretFile", auth.hs256SecretFile).trim().getBytes(StandardCharsets.UTF_8);
            if (secret.length < 32) {
                throw new ConfigException("logic.auth.hs256SecretFile: the HS256 secret must be at least 32 bytes, got "
                        + secret.length);
            }
        }
        if (auth.rs256PublicKeyFile != null) {
            try {
                key = parseRsaPublicKey(read("logic.auth.rs256PublicKeyFile", auth.rs256PublicKeyFile));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw new ConfigException("logic.auth.rs256PublicKeyFile: not an RSA public key in PEM"
                        + " (-----BEGIN PUBLIC KEY-----): " + e.getMessage(), e);
            }
        }
        return new JwtVerifier(secret, key, auth.issuer, auth.audience, Clock.systemUTC());
    }

    private static String read(String configKey, String file) {
        try {
            return Files.readString(Path.of(file));
        } catch (IOException e) {
            throw new ConfigException(configKey + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** An X.509 SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"), as openssl rsa -pubout writes. */
    public static PublicKey parseRsaPublicKey(String pem) throws GeneralSecurityException {
        if (!pem.contains("-----BEGIN PUBLIC KEY-----")) {
            throw new IllegalArgumentException("expected -----BEGIN PUBLIC KEY-----");
        }
        String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }

    /** The verified claims, or an {@link AuthException} saying why the token is refused. */
    public JsonNode verify(String token) throws AuthException {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            throw new AuthException("malformed JWT: expected three dot-separated parts");
        }
        JsonNode header = decodeJson(parts[0], "header");
        String alg = header.path("alg").asText("");
        byte[] signed = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
        byte[] signature = decode(parts[2], "signature");
        boolean valid = switch (alg) {
            case "HS256" -> hmacSecret != null && verifyHmac(signed, signature);
            case "RS256" -> rsaKey != null && verifyRsa(signed, signature);
            default -> throw new AuthException("JWT alg '" + alg + "' is not accepted; use "
                    + (hmacSecret != null ? "HS256" : "") + (hmacSecret != null && rsaKey != null ? " or " : "")
                    + (rsaKey != null ? "RS256" : ""));
        };
        if (!valid) {
            throw new AuthException(("HS256".equals(alg) ? hmacSecret : rsaKey) == null
                    ? "JWT alg " + alg + " is not configured on this server" : "JWT signature is invalid");
        }
        JsonNode claims = decodeJson(parts[1], "payload");
        checkTimes(claims);
        if (issuer != null && !issuer.equals(claims.path("iss").asText(null))) {
            throw new AuthException("JWT issuer is not the expected one");
        }
        if (audience != null && !hasAudience(claims.get("aud"))) {
            throw new AuthException("JWT audience does not include the expected one");
        }
        return claims;
    }

    private void checkTimes(JsonNode claims) throws AuthException {
        long now = clock.instant().getEpochSecond();
        long leeway = LEEWAY.toSeconds();
        JsonNode exp = claims.get("exp");
        if (exp != null && (!exp.isNumber() || exp.asLong() + leeway < now)) {
            throw new AuthException(exp.isNumber() ? "JWT has expired" : "JWT exp is not a number");
        }
        JsonNode nbf = claims.get("nbf");
        if (nbf != null && (!nbf.isNumber() || nbf.asLong() - leeway > now)) {
            throw new AuthException(nbf.isNumber() ? "JWT is not valid yet (nbf)" : "JWT nbf is not a number");
        }
    }

    private boolean hasAudience(JsonNode aud) {
        if (aud == null) {
            return false;
        }
        if (aud.isArray()) {
            for (JsonNode a : aud) {
                if (audience.equals(a.asText())) {
                    return true;
                }
            }
            return false;
        }
        return audience.equals(aud.asText());
    }

    private boolean verifyHmac(byte[] signed, byte[] signature) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(hmacSecret, "HmacSHA256"));
            return MessageDigest.isEqual(mac.doFinal(signed), signature);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private boolean verifyRsa(byte[] signed, byte[] signature) {
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initVerify(rsaKey);
            s.update(signed);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static JsonNode decodeJson(String part, String what) throws AuthException {
        try {
            JsonNode node = JSON.readTree(decode(part, what));
            if (node == null || !node.isObject()) {
                throw new AuthException("malformed JWT: the " + what + " is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new AuthException("malformed JWT: the " + what + " is not JSON");
        }
    }

    private static byte[] decode(String part, String what) throws AuthException {
        try {
            return B64.decode(part);
        } catch (IllegalArgumentException e) {
            throw new AuthException("malformed JWT: the " + what + " is not base64url");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
