package dev.imcluster.common.pki;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;

/** Checks on a private key and the certificate (public key) it is stored with. */
public final class KeyPairs {
    private KeyPairs() {
    }

    /**
     * Whether {@code key} is the private half of {@code pub}: a probe signed with the one verifies with the other.
     * RSA, EC, Ed25519 and Ed448; false for anything the JDK cannot sign with.
     */
    public static boolean matches(PrivateKey key, PublicKey pub) {
        String algorithm = switch (pub.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> pub.getAlgorithm(); // Ed25519, Ed448
        };
        try {
            byte[] probe = "imcluster-key-probe".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(probe);
            byte[] signature = s.sign();
            s.initVerify(pub);
            s.update(probe);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
