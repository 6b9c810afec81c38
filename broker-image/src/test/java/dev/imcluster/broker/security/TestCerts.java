package dev.imcluster.broker.security;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Self-signed test certificates made with the JDK's own keytool (no openssl, no BouncyCastle), written as PEM
 * the way a kubernetes.io/tls Secret holds them.
 */
public record TestCerts(X509Certificate certificate, PrivateKey key) {
    private static final String PASSWORD = "changeit";

    /** A new key pair and certificate for localhost and 127.0.0.1. */
    public static TestCerts generate(Path dir, String cn, String keyAlg) throws Exception {
        Path store = Files.createTempFile(dir, "keystore", ".p12");
        Files.delete(store);
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "tls", "-keyalg", keyAlg,
                "-dname", "CN=" + cn, "-validity", "2", "-storetype", "PKCS12", "-keystore", store.toString(),
                "-storepass", PASSWORD, "-keypass", PASSWORD, "-ext", "SAN=dns:localhost,ip:127.0.0.1")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + out);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        return new TestCerts((X509Certificate) ks.getCertificate("tls"),
                (PrivateKey) ks.getKey("tls", PASSWORD.toCharArray()));
    }

    public static TestCerts rsa(Path dir, String cn) throws Exception {
        return generate(dir, cn, "RSA");
    }

    public String certPem() throws Exception {
        return pem("CERTIFICATE", certificate.getEncoded());
    }

    /** PKCS#8 ("PRIVATE KEY"). */
    public String keyPem() {
        return pem("PRIVATE KEY", key.getEncoded());
    }

    /** PKCS#1 ("RSA PRIVATE KEY"): the OCTET STRING inside the PKCS#8 structure. */
    public String rsaKeyPem() {
        byte[] pkcs8 = key.getEncoded();
        return pem("RSA PRIVATE KEY", lastOctetString(pkcs8));
    }

    private static byte[] lastOctetString(byte[] der) {
        // PKCS#8: SEQ { INT 0, SEQ {alg}, OCTET STRING {key} }; walk the three elements of the outer sequence.
        int[] outer = header(der, 0);
        int p = outer[0];
        p = skip(der, p);
        p = skip(der, p);
        int[] octets = header(der, p);
        return java.util.Arrays.copyOfRange(der, octets[0], octets[1]);
    }

    private static int skip(byte[] der, int at) {
        return header(der, at)[1];
    }

    /** {contentStart, contentEnd} of the element at {@code at}. */
    private static int[] header(byte[] b, int at) {
        int len = b[at + 1] & 0xff;
        int p = at + 2;
        if (len >= 0x80) {
            int n = len & 0x7f;
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (b[p++] & 0xff);
            }
        }
        return new int[] {p, p + len};
    }

    /** Writes tls.crt and tls.key into {@code dir}. */
    public void writeTo(Path dir) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("tls.crt"), certPem());
        Files.writeString(dir.resolve("tls.key"), keyPem());
    }

    /** A client context that trusts only these certificates. */
    public static SSLContext trusting(X509Certificate... certs) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        for (int i = 0; i < certs.length; i++) {
            trust.setCertificateEntry("ca" + i, certs[i]);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
