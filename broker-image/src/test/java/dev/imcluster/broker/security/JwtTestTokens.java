package dev.imcluster.broker.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Signs test JWTs (the broker only verifies): by hand with the JDK, and with nimbus for every algorithm. */
public final class JwtTestTokens {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private JwtTestTokens() {
    }

    public static String hs256(byte[] secret, String claimsJson) throws Exception {
        String signed = part("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + part(claimsJson);
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret, "HmacSHA256"));
        return signed + "." + B64.encodeToString(mac.doFinal(signed.getBytes(StandardCharsets.US_ASCII)));
    }

    public static String rs256(PrivateKey key, String claimsJson) throws Exception {
        String signed = part("{\"alg\":\"RS256\",\"typ\":\"JWT\"}") + "." + part(claimsJson);
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(key);
        s.update(signed.getBytes(StandardCharsets.US_ASCII));
        return signed + "." + B64.encodeToString(s.sign());
    }

    public static String unsigned(String claimsJson) {
        return part("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + part(claimsJson) + ".";
    }

    static String part(String json) {
        return B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    /** A verifier with fixed keys, every algorithm they can verify, 30 s clock skew and its own meters. */
    public static JwtVerifier verifier(Clock clock, String issuer, String audience, JWK... keys) {
        return new JwtVerifier(JwtKeys.of(keys), Set.of(), issuer, audience, Duration.ofSeconds(30), clock,
                new SimpleMeterRegistry());
    }

    /** A JWK Set document of these keys' public parts. */
    public static String jwks(SigningKey... keys) {
        return new JWKSet(Arrays.stream(keys).map(SigningKey::publicJwk).toList()).toString(true);
    }

    /** A key that signs with one algorithm, and the JWK (public part, or the secret) a verifier gets. */
    public record SigningKey(JWSAlgorithm alg, JWK publicJwk, JWSSigner signer) {

        /** A fresh key of the algorithm's family (RSA 2048, the EC curve of the alg, an HMAC secret of its size). */
        public static SigningKey generate(JWSAlgorithm alg, String kid) throws Exception {
            if (JWSAlgorithm.Family.RSA.contains(alg)) {
                RSAKey k = new RSAKeyGenerator(2048).keyID(kid).generate();
                return new SigningKey(alg, k.toPublicJWK(), new RSASSASigner(k));
            }
            if (JWSAlgorithm.Family.EC.contains(alg)) {
                ECKey k = new ECKeyGenerator(Curve.forJWSAlgorithm(alg).iterator().next()).keyID(kid).generate();
                return new SigningKey(alg, k.toPublicJWK(), new ECDSASigner(k));
            }
            if (JWSAlgorithm.Family.HMAC_SHA.contains(alg)) {
                int bits = Integer.parseInt(alg.getName().substring(2));
                OctetSequenceKey k = new OctetSequenceKeyGenerator(bits).keyID(kid).generate();
                return new SigningKey(alg, k, new MACSigner(k));
            }
            return ed25519(alg, kid);
        }

        /** Ed25519 through the JDK, as the broker verifies it (nimbus's own Ed25519 classes need Tink). */
        private static SigningKey ed25519(JWSAlgorithm alg, String kid) throws GeneralSecurityException {
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            byte[] spki = pair.getPublic().getEncoded();
            byte[] x = Arrays.copyOfRange(spki, spki.length - 32, spki.length);
            OctetKeyPair jwk = new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(x)).keyID(kid).build();
            JWSSigner signer = new JWSSigner() {
                @Override
                public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
                    try {
                        Signature s = Signature.getInstance("Ed25519");
                        s.initSign(pair.getPrivate());
                        s.update(signingInput);
                        return Base64URL.encode(s.sign());
                    } catch (GeneralSecurityException e) {
                        throw new JOSEException(e.getMessage(), e);
                    }
                }

                @Override
                public Set<JWSAlgorithm> supportedJWSAlgorithms() {
                    return Set.of(JWSAlgorithm.EdDSA, JWSAlgorithm.Ed25519);
                }

                @Override
                public JCAContext getJCAContext() {
                    return new JCAContext();
                }
            };
            return new SigningKey(alg, jwk, signer);
        }

        /** A compact JWS of these claims, naming this key's kid. */
        public String sign(String claimsJson) throws JOSEException {
            JWSObject jws = new JWSObject(new JWSHeader.Builder(alg).keyID(publicJwk.getKeyID())
                    .type(JOSEObjectType.JWT).build(), new Payload(claimsJson));
            jws.sign(signer);
            return jws.serialize();
        }

        /** The same key signing with another algorithm of its family. */
        public SigningKey with(JWSAlgorithm other) {
            return new SigningKey(other, publicJwk, signer);
        }
    }
}
