package dev.imcluster.broker.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import dev.imcluster.broker.config.LogicConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Verifies client JWTs (compact JWS) with nimbus-jose-jwt: HS256/384/512, RS256/384/512, PS256/384/512,
 * ES256/384/512 and EdDSA with Ed25519 keys (through the JDK). The header's {@code alg} must be allowed
 * ({@code logic.auth.algorithms}, by default every algorithm a configured key can verify; never {@code none});
 * the key is chosen by {@code kid} (keys without one match any), and an unknown {@code kid} makes the JWK Sets be
 * re-read first (see {@link JwtKeys}). Then {@code exp}/{@code nbf} are checked with {@code clockSkew}, and
 * {@code iss}/{@code aud} when configured, and the {@code imcluster} permissions claim's shape
 * ({@link Permissions}). Each refusal says why ({@link JwtRefusal}: "expired: JWT has expired")
 * and is counted in {@code imcluster_auth_refused_total{reason}}.
 */
public final class JwtVerifier implements AutoCloseable {

    /** Every algorithm this verifier can check, in the order they are listed to clients. */
    static final List<JWSAlgorithm> SUPPORTED = Arrays.stream(LogicConfig.JwtAlgorithm.values())
            .map(a -> JWSAlgorithm.parse(a.name())).toList();

    private static final ObjectMapper JSON = new ObjectMapper();

    private final JwtKeys keys;
    private final Set<JWSAlgorithm> allowed;
    private final String issuer;
    private final String audience;
    private final long skewMillis;
    private final Clock clock;
    /** {@code logic.auth.requirePermissions}: a token without the {@value Permissions#CLAIM} claim may do nothing. */
    private final boolean requirePermissions;
    /** By reason tag. */
    private final Map<String, Counter> refused = new HashMap<>();

    /** {@code algorithms} empty: whatever the keys can verify. */
    public JwtVerifier(JwtKeys keys, Set<JWSAlgorithm> algorithms, String issuer, String audience,
                       Duration clockSkew, Clock clock, MeterRegistry meters) {
        this(keys, algorithms, issuer, audience, clockSkew, false, clock, meters);
    }

    public JwtVerifier(JwtKeys keys, Set<JWSAlgorithm> algorithms, String issuer, String audience,
                       Duration clockSkew, boolean requirePermissions, Clock clock, MeterRegistry meters) {
        this.requirePermissions = requirePermissions;
        this.keys = keys;
        this.allowed = Set.copyOf(algorithms);
        this.issuer = blankToNull(issuer);
        this.audience = blankToNull(audience);
        this.skewMillis = clockSkew.toMillis();
        this.clock = clock;
        for (JwtRefusal r : JwtRefusal.values()) {
            refused.put(r.tag(), Counter.builder("imcluster.auth.refused").tag("reason", r.tag())
                    .description("Client JWTs refused, by reason").register(meters));
        }
    }

    /** The verifier of {@code logic.auth}; key files are read now, so errors show at start. */
    public static JwtVerifier fromConfig(LogicConfig.AuthConfig auth, MeterRegistry meters) {
        Set<JWSAlgorithm> algorithms = auth.algorithms.stream().map(a -> JWSAlgorithm.parse(a.name()))
                .collect(Collectors.toUnmodifiableSet());
        return new JwtVerifier(JwtKeys.fromConfig(auth, meters), algorithms, auth.issuer, auth.audience,
                auth.clockSkew, auth.requirePermissions, Clock.systemUTC(), meters);
    }

    /** A verified token: its claims and what its {@value Permissions#CLAIM} claim permits. */
    public record Verified(JsonNode claims, Permissions permissions) {
    }

    /** The verified claims, or an {@link AuthException} whose reason is a {@link JwtRefusal} tag. */
    public JsonNode verify(String token) throws AuthException {
        return verifyWithPermissions(token).claims();
    }

    /** As {@link #verify}, with the permissions; a malformed permission claim refuses the token ({@code malformed}). */
    public Verified verifyWithPermissions(String token) throws AuthException {
        try {
            JsonNode claims = check(token);
            return new Verified(claims, Permissions.fromClaims(claims, requirePermissions));
        } catch (AuthException e) {
            refused.get(e.reason()).increment();
            throw e;
        }
    }

    private JsonNode check(String token) throws AuthException {
        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
        } catch (ParseException e) {
            throw JwtRefusal.MALFORMED.refuse("not a compact JWS: " + e.getMessage());
        }
        if (!(jwt instanceof SignedJWT signed)) {
            throw notAllowed(jwt.getHeader().getAlgorithm().getName());
        }
        JWSHeader header = signed.getHeader();
        JWSAlgorithm alg = header.getAlgorithm();
        if (!SUPPORTED.contains(alg) || !allowed.isEmpty() && !allowed.contains(alg)) {
            throw notAllowed(alg.getName());
        }
        List<JWK> candidates = candidates(header);
        if (candidates.isEmpty() && header.getKeyID() != null && keys.refreshable()) {
            keys.refreshForUnknownKey();
            candidates = candidates(header);
        }
        if (candidates.isEmpty()) {
            // A kid no key has is an unknown key (often one the identity provider retired), whatever its alg.
            boolean kidKnown = header.getKeyID() == null
                    || keys.current().stream().anyMatch(k -> header.getKeyID().equals(k.getKeyID()));
            if (kidKnown && allowed.isEmpty() && keys.current().stream().noneMatch(k -> canVerify(k, alg))) {
                throw notAllowed(alg.getName());
            }
            throw JwtRefusal.UNKNOWN_KEY.refuse(header.getKeyID() == null ? "no configured key verifies " + alg
                    : "no key with kid '" + header.getKeyID() + "' verifies " + alg);
        }
        if (!verifiedByAny(signed, candidates)) {
            throw JwtRefusal.BAD_SIGNATURE.refuse("JWT signature is invalid");
        }
        JWTClaimsSet claims;
        try {
            claims = signed.getJWTClaimsSet();
        } catch (ParseException e) {
            throw JwtRefusal.MALFORMED.refuse("the JWT claims are not valid: " + e.getMessage());
        }
        checkClaims(claims);
        try {
            return JSON.readTree(signed.getPayload().toString());
        } catch (IOException e) {
            throw JwtRefusal.MALFORMED.refuse("the JWT claims are not JSON");
        }
    }

    private AuthException notAllowed(String alg) {
        List<String> accepted = SUPPORTED.stream().filter(a -> allowed.isEmpty()
                ? keys.current().stream().anyMatch(k -> canVerify(k, a)) : allowed.contains(a))
                .map(JWSAlgorithm::getName).toList();
        return JwtRefusal.ALGORITHM_NOT_ALLOWED.refuse("JWT alg '" + alg + "' is not accepted; use "
                + (accepted.isEmpty() ? "(no key loaded yet)" : String.join(", ", accepted)));
    }

    /** Keys that may have signed this token: of the alg's type, and of its kid (or with none). */
    private List<JWK> candidates(JWSHeader header) {
        String kid = header.getKeyID();
        return keys.current().stream().filter(k -> canVerify(k, header.getAlgorithm())
                && (kid == null || k.getKeyID() == null || kid.equals(k.getKeyID()))).toList();
    }

    /** Whether the key can check this algorithm (HMAC secrets must be at least as long as the hash). */
    static boolean canVerify(JWK key, JWSAlgorithm alg) {
        if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())
                || key.getAlgorithm() != null && !key.getAlgorithm().equals(alg)) {
            return false;
        }
        if (key instanceof RSAKey) {
            return JWSAlgorithm.Family.RSA.contains(alg);
        }
        if (key instanceof ECKey ec) {
            return JWSAlgorithm.Family.EC.contains(alg) && Curve.forJWSAlgorithm(alg).contains(ec.getCurve());
        }
        if (key instanceof OctetSequenceKey secret) {
            return JWSAlgorithm.Family.HMAC_SHA.contains(alg)
                    && secret.size() >= Integer.parseInt(alg.getName().substring(2));
        }
        if (key instanceof OctetKeyPair okp) {
            return Ed25519Verifier.ALGORITHMS.contains(alg) && Curve.Ed25519.equals(okp.getCurve());
        }
        return false;
    }

    private static boolean verifiedByAny(SignedJWT jwt, List<JWK> candidates) {
        for (JWK key : candidates) {
            try {
                if (jwt.verify(verifier(key))) {
                    return true;
                }
            } catch (JOSEException | IllegalStateException e) {
                // Not this key (unusable for the token, or a bad signature encoding): try the next.
            }
        }
        return false;
    }

    private static JWSVerifier verifier(JWK key) throws JOSEException {
        if (key instanceof RSAKey rsa) {
            return new RSASSAVerifier(rsa);
        }
        if (key instanceof ECKey ec) {
            return new ECDSAVerifier(ec);
        }
        if (key instanceof OctetSequenceKey secret) {
            return new MACVerifier(secret);
        }
        return new Ed25519Verifier((OctetKeyPair) key);
    }

    private void checkClaims(JWTClaimsSet claims) throws AuthException {
        long now = clock.millis();
        Date exp = claims.getExpirationTime();
        if (exp != null && exp.getTime() + skewMillis < now) {
            throw JwtRefusal.EXPIRED.refuse("JWT has expired");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && nbf.getTime() - skewMillis > now) {
            throw JwtRefusal.NOT_YET_VALID.refuse("JWT is not valid yet (nbf)");
        }
        if (issuer != null && !issuer.equals(claims.getIssuer())) {
            throw JwtRefusal.WRONG_ISSUER.refuse("JWT issuer is not the expected one");
        }
        if (audience != null && (claims.getAudience() == null || !claims.getAudience().contains(audience))) {
            throw JwtRefusal.WRONG_AUDIENCE.refuse("JWT audience does not include the expected one");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    @Override
    public void close() {
        keys.close();
    }
}
