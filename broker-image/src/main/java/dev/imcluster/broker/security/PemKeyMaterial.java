package dev.imcluster.broker.security;

import static dev.imcluster.common.pki.DerEncoding.oid;
import static dev.imcluster.common.pki.DerEncoding.sequence;
import static dev.imcluster.common.pki.DerEncoding.tlv;

import dev.imcluster.common.pki.KeyPairs;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Date;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A certificate chain and its private key from PEM text, as a {@code kubernetes.io/tls} Secret holds them
 * ({@code tls.crt}, {@code tls.key}). Keys may be PKCS#8 ({@code PRIVATE KEY}), PKCS#1 RSA ({@code RSA PRIVATE
 * KEY}) or SEC1 EC ({@code EC PRIVATE KEY}), which is what openssl and cert-manager write; encrypted keys are
 * refused. The key must belong to the first certificate.
 */
public record PemKeyMaterial(PrivateKey key, X509Certificate[] chain) {

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");
    private static final byte[] RSA_OID = oid(1, 2, 840, 113549, 1, 1, 1); // rsaEncryption
    private static final byte[] EC_OID = oid(1, 2, 840, 10045, 2, 1); // id-ecPublicKey

    /** Parses and checks the pair; the exception's message says what is wrong and with which file. */
    public static PemKeyMaterial parse(byte[] certPem, String certName, byte[] keyPem, String keyName) {
        X509Certificate[] chain = certificates(certPem, certName);
        PrivateKey key = privateKey(keyPem, keyName, chain[0].getPublicKey().getAlgorithm());
        if (!KeyPairs.matches(key, chain[0].getPublicKey())) {
            throw new IllegalArgumentException(keyName + ": the private key does not belong to the certificate in "
                    + certName);
        }
        return new PemKeyMaterial(key, chain);
    }

    public Date notAfter() {
        return chain[0].getNotAfter();
    }

    /** Every certificate of a PEM bundle (a chain, or a CA bundle); at least one. */
    static X509Certificate[] certificates(byte[] pem, String name) {
        try {
            var certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
            if (certs.isEmpty()) {
                throw new IllegalArgumentException(name + ": no PEM certificate (-----BEGIN CERTIFICATE-----) found");
            }
            return certs.stream().map(c -> (X509Certificate) c).toArray(X509Certificate[]::new);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(name + ": not a PEM certificate chain: " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(byte[] pem, String name, String algorithm) {
        Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.US_ASCII));
        while (m.find()) {
            String type = m.group(1);
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(2));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ": the " + type + " block is not base64");
            }
            byte[] pkcs8 = switch (type) {
                case "PRIVATE KEY" -> der;
                case "RSA PRIVATE KEY" -> pkcs8(sequence(RSA_OID, new byte[] {0x05, 0x00}), der);
                case "EC PRIVATE KEY" -> pkcs8(sequence(EC_OID, ecCurve(der, name)), der);
                case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException(name
                        + ": encrypted private keys are not supported; store it unencrypted in the Secret");
                default -> null;
            };
            if (pkcs8 == null) {
                continue;
            }
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException(name + ": not a valid " + algorithm + " private key: "
                        + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException(name + ": no PEM private key (-----BEGIN PRIVATE KEY-----,"
                + " RSA PRIVATE KEY or EC PRIVATE KEY) found");
    }

    /** The named-curve OID in a SEC1 ECPrivateKey's [0] parameters, as a whole DER OID. */
    private static byte[] ecCurve(byte[] sec1, String name) {
        Der outer = new Der(sec1, 0);
        if (outer.tag != 0x30) {
            throw new IllegalArgumentException(name + ": the EC PRIVATE KEY is not a DER sequence");
        }
        int p = outer.start;
        while (p < outer.end) {
            Der d = new Der(sec1, p);
            if (d.tag == (byte) 0xa0) {
                Der oid = new Der(sec1, d.start);
                if (oid.tag == 0x06) {
                    return java.util.Arrays.copyOfRange(sec1, d.start, oid.end);
                }
            }
            p = d.end;
        }
        throw new IllegalArgumentException(name + ": the EC PRIVATE KEY names no curve; convert it to PKCS#8"
                + " (openssl pkcs8 -topk8 -nocrypt)");
    }

    private static byte[] pkcs8(byte[] algorithmId, byte[] key) {
        return sequence(new byte[] {0x02, 0x01, 0x00}, algorithmId, tlv(0x04, key)); // version 0, algorithm, key
    }

    /** One DER element header: its tag, and where its content starts and ends. */
    private static final class Der {
        final byte tag;
        final int start;
        final int end;

        Der(byte[] b, int at) {
            if (at + 2 > b.length) {
                throw new IllegalArgumentException("truncated DER");
            }
            tag = b[at];
            int len = b[at + 1] & 0xff;
            int p = at + 2;
            if (len >= 0x80) {
                int n = len & 0x7f;
                if (n == 0 || n > 4 || p + n > b.length) {
                    throw new IllegalArgumentException("bad DER length");
                }
                len = 0;
                for (int i = 0; i < n; i++) {
                    len = (len << 8) | (b[p++] & 0xff);
                }
            }
            if (len < 0 || p + len > b.length) {
                throw new IllegalArgumentException("truncated DER");
            }
            start = p;
            end = p + len;
        }
    }
}
