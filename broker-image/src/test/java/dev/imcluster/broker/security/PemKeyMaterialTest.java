package dev.imcluster.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemKeyMaterialTest {
    @TempDir
    static Path dir;
    static TestCerts rsa;
    static TestCerts other;

    @BeforeAll
    static void certs() throws Exception {
        rsa = TestCerts.rsa(dir, "pem-a");
        other = TestCerts.rsa(dir, "pem-b");
    }

    private static PemKeyMaterial parse(String cert, String key) {
        return PemKeyMaterial.parse(cert.getBytes(StandardCharsets.US_ASCII), "tls.crt",
                key.getBytes(StandardCharsets.US_ASCII), "tls.key");
    }

    @Test
    void readsPkcs8AndPkcs1RsaKeys() throws Exception {
        assertThat(parse(rsa.certPem(), rsa.keyPem()).chain()[0]).isEqualTo(rsa.certificate());
        assertThat(parse(rsa.certPem(), rsa.rsaKeyPem()).key().getEncoded()).isEqualTo(rsa.key().getEncoded());
    }

    @Test
    void readsEcKeys() throws Exception {
        TestCerts ec = TestCerts.generate(dir, "pem-ec", "EC");
        assertThat(parse(ec.certPem(), ec.keyPem()).chain()[0]).isEqualTo(ec.certificate());
    }

    @Test
    void refusesAKeyOfAnotherCertificate() throws Exception {
        assertThatThrownBy(() -> parse(rsa.certPem(), other.keyPem()))
                .hasMessageContaining("tls.key: the private key does not belong to the certificate in tls.crt");
    }

    @Test
    void namesTheFileThatIsNotPem() throws Exception {
        assertThatThrownBy(() -> parse("hello", rsa.keyPem())).hasMessageStartingWith("tls.crt:");
        assertThatThrownBy(() -> parse(rsa.certPem(), "hello")).hasMessageContaining("tls.key: no PEM private key");
        assertThatThrownBy(() -> parse(rsa.certPem(), "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
                + "-----END ENCRYPTED PRIVATE KEY-----\n")).hasMessageContaining("encrypted private keys");
    }
}
