package dev.imcluster.operator.model;

import static dev.imcluster.common.pki.DerEncoding.oid;
import static dev.imcluster.common.pki.DerEncoding.sequence;
import static dev.imcluster.common.pki.DerEncoding.tlv;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * X.509 certificates made with the JDK alone (no BouncyCastle in the operator): EC P-256 keys, ECDSA-SHA256
 * signatures, and the DER of a v3 certificate written here, since the JDK can read certificates but has no public
 * API to make them. Only what the internal CA needs: a self-signed CA, and leaves for both TLS client and server
 * with DNS names. Keys are written as PKCS#8, which every consumer (the broker, Kafka, Redis, NATS) reads.
 */
public final class X509Certificates {
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final byte[] ECDSA_SHA256 = oid(1, 2, 840, 10045, 4, 3, 2);
    private static final byte[] COMMON_NAME = oid(2, 5, 4, 3);
    private static final byte[] SUBJECT_KEY_ID = oid(2, 5, 29, 14);
    private static final byte[] KEY_USAGE = oid(2, 5, 29, 15);
    private static final byte[] SUBJECT_ALT_NAME = oid(2, 5, 29, 17);
    private static final byte[] BASIC_CONSTRAINTS = oid(2, 5, 29, 19);
    private static final byte[] AUTHORITY_KEY_ID = oid(2, 5, 29, 35);
    private static final byte[] EXT_KEY_USAGE = oid(2, 5, 29, 37);
    private static final byte[] SERVER_AUTH = oid(1, 3, 6, 1, 5, 5, 7, 3, 1);
    private static final byte[] CLIENT_AUTH = oid(1, 3, 6, 1, 5, 5, 7, 3, 2);
    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    /** A certificate and its private key. */
    public record Issued(X509Certificate certificate, PrivateKey key) {
        public String certificatePem() {
            return pem(certificate);
        }

        public String keyPem() {
            return block("PRIVATE KEY", key.getEncoded());
        }
    }

    private X509Certificates() {
    }

    /** A self-signed CA valid from {@code notBefore} to {@code notAfter}. */
    public static Issued authority(String commonName, Instant notBefore, Instant notAfter, SecureRandom random) {
        KeyPair pair = keyPair(random);
        byte[] keyId = keyId(pair.getPublic());
        List<byte[]> extensions = List.of(
                extension(BASIC_CONSTRAINTS, true, sequence(tlv(0x01, new byte[] {(byte) 0xff}))),
                extension(KEY_USAGE, true, tlv(0x03, new byte[] {1, 0x06})), // keyCertSign, cRLSign
                extension(SUBJECT_KEY_ID, false, tlv(0x04, keyId)));
        return new Issued(sign(name(commonName), commonName, pair.getPublic(), pair.getPrivate(), notBefore,
                notAfter, extensions, random), pair.getPrivate());
    }

    /** A leaf for TLS clients and servers, with these DNS names, signed by {@code ca}. */
    public static Issued leaf(Issued ca, String commonName, List<String> dnsNames, Instant notBefore,
                              Instant notAfter, SecureRandom random) {
        KeyPair pair = keyPair(random);
        List<byte[]> names = new ArrayList<>();
        for (String name : dnsNames) {
            names.add(tlv(0x82, name.getBytes(StandardCharsets.US_ASCII))); // [2] dNSName
        }
        List<byte[]> extensions = List.of(
                extension(BASIC_CONSTRAINTS, true, sequence()),
                extension(KEY_USAGE, true, tlv(0x03, new byte[] {7, (byte) 0x80})), // digitalSignature
                extension(EXT_KEY_USAGE, false, sequence(SERVER_AUTH, CLIENT_AUTH)),
                extension(SUBJECT_ALT_NAME, false, sequence(names.toArray(byte[][]::new))),
                extension(SUBJECT_KEY_ID, false, tlv(0x04, keyId(pair.getPublic()))),
                extension(AUTHORITY_KEY_ID, false, sequence(tlv(0x80, keyId(ca.certificate().getPublicKey())))));
        // The issuer's name exactly as the CA encodes it, for path building.
        byte[] issuer = ca.certificate().getSubjectX500Principal().getEncoded();
        return new Issued(sign(issuer, commonName, pair.getPublic(), ca.key(), notBefore, notAfter, extensions,
                random), pair.getPrivate());
    }

    /** The certificates of a PEM text (none if it holds none or does not parse). */
    public static List<X509Certificate> parseCertificates(String pem) {
        if (pem == null || pem.isBlank()) {
            return List.of();
        }
        try {
            return CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
                    .stream().map(c -> (X509Certificate) c).toList();
        } catch (GeneralSecurityException e) {
            return List.of();
        }
    }

    /** The EC key of a PKCS#8 PEM, or null. */
    public static PrivateKey parseKey(String pem) {
        if (pem == null) {
            return null;
        }
        String body = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
        try {
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(
                    Base64.getDecoder().decode(body)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    /** Whether {@code cert} carries a valid signature of {@code issuer}'s key. */
    public static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    public static String pem(X509Certificate cert) {
        try {
            return block("CERTIFICATE", cert.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String block(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static KeyPair keyPair(SecureRandom random) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), random);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no P-256: " + e.getMessage(), e);
        }
    }

    private static X509Certificate sign(byte[] issuer, String subject, PublicKey key, PrivateKey signer,
                                        Instant notBefore, Instant notAfter, List<byte[]> extensions,
                                        SecureRandom random) {
        byte[] serial = new byte[16];
        random.nextBytes(serial);
        serial[0] &= 0x7f; // positive
        serial[0] |= 0x40; // and without a leading zero byte
        byte[] algorithm = sequence(ECDSA_SHA256);
        byte[] tbs = sequence(
                tlv(0xa0, tlv(0x02, new byte[] {2})), // [0] version v3
                tlv(0x02, new BigInteger(1, serial).toByteArray()),
                algorithm,
                issuer,
                sequence(time(notBefore), time(notAfter)),
                name(subject),
                key.getEncoded(), // SubjectPublicKeyInfo
                tlv(0xa3, sequence(extensions.toArray(byte[][]::new))));
        try {
            Signature s = Signature.getInstance(SIGNATURE);
            s.initSign(signer, random);
            s.update(tbs);
            byte[] signature = s.sign();
            byte[] bits = new byte[signature.length + 1]; // no unused bits
            System.arraycopy(signature, 0, bits, 1, signature.length);
            byte[] der = sequence(tbs, algorithm, tlv(0x03, bits));
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a certificate: " + e.getMessage(), e);
        }
    }

    /** Identifies a key among CAs of the same name (method 1 of RFC 5280: SHA-1 of the key). */
    private static byte[] keyId(PublicKey key) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(key.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] name(String commonName) {
        byte[] attribute = sequence(COMMON_NAME, tlv(0x0c, commonName.getBytes(StandardCharsets.UTF_8)));
        return sequence(tlv(0x31, attribute)); // RDNSequence { SET { CN } }
    }

    /** RFC 5280: UTCTime through 2049, GeneralizedTime after. */
    private static byte[] time(Instant t) {
        boolean utc = t.atZone(ZoneOffset.UTC).getYear() < 2050;
        return tlv(utc ? 0x17 : 0x18, (utc ? UTC_TIME : GENERALIZED_TIME).format(t)
                .getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] extension(byte[] oid, boolean critical, byte[] value) {
        return critical ? sequence(oid, tlv(0x01, new byte[] {(byte) 0xff}), tlv(0x04, value))
                : sequence(oid, tlv(0x04, value));
    }
}
