package dev.imcluster.common.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.junit.jupiter.api.Test;

class KeyPairsTest {

    @Test
    void aKeyMatchesItsOwnPublicKeyOnly() throws Exception {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair a = ec.generateKeyPair();
        KeyPair b = ec.generateKeyPair();
        KeyPair rsa = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();

        assertThat(KeyPairs.matches(a.getPrivate(), a.getPublic())).isTrue();
        assertThat(KeyPairs.matches(rsa.getPrivate(), rsa.getPublic())).isTrue();
        assertThat(KeyPairs.matches(ed.getPrivate(), ed.getPublic())).isTrue();
        assertThat(KeyPairs.matches(b.getPrivate(), a.getPublic())).as("another key of the same curve").isFalse();
        assertThat(KeyPairs.matches(a.getPrivate(), rsa.getPublic())).as("another algorithm").isFalse();
    }
}
