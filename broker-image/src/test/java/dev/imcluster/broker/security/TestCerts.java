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
 * Test certificates made with the JDK's own keytool (no openssl, no BouncyCastle), self-signed or issued by an
 * {@link Authority}, written as PEM the way a kubernetes.io/tls Secret holds them.
 */
public record TestCerts(X509Certificate certificate, PrivateKey key) {
    private static final String PASSWORD = "changeit";

    /** A new key pair and certificate for localhost and 127.0.0.1. */
    public static TestCerts generate(Path dir, String cn, String keyAlg) throws Exception {
        Path store = newStore(dir);
        keytool("-genkeypair", "-alias", "tls", "-keyalg", keyAlg, "-dname", "CN=" + cn, "-validity", "2",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD,
                "-ext", "SAN=dns:localhost,ip:127.0.0.1");
        KeyStore ks = load(store);
        return new TestCerts((X509Certificate) ks.getCertificate("tls"),
                (PrivateKey) ks.getKey("tls", PASSWORD.toCharArray()));
    }

    /** A CA (EC P-256) that issues leaf certificates, like the operator's per-cluster CA. */
    public record Authority(Path store, X509Certificate certificate) {
        public static Authority create(Path dir, String cn) throws Exception {
            Path store = newStore(dir);
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + cn,
                    "-validity", "2", "-ext", "bc:c", "-storetype", "PKCS12", "-keystore", store.toString(),
                    "-storepass", PASSWORD, "-keypass", PASSWORD);
            return new Authority(store, (X509Certificate) load(store).getCertificate("ca"));
        }

        /**
         * A leaf for client and server use, with these DNS names (and 127.0.0.1), valid from {@code startDate}
         * (keytool's syntax, "-3d" for three days ago; null for now) for {@code days}.
         */
        public TestCerts issue(Path dir, String cn, String startDate, int days, String... dnsNames) throws Exception {
            Path leaf = newStore(dir);
            keytool("-genkeypair", "-alias", "tls", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + cn,
                    "-storetype", "PKCS12", "-keystore", leaf.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
            Path csr = Files.createTempFile(dir, "leaf", ".csr");
            Path crt = Files.createTempFile(dir, "leaf", ".crt");
            keytool("-certreq", "-alias", "tls", "-keystore", leaf.toString(), "-storepass", PASSWORD,
                    "-file", csr.toString());
            StringBuilder san = new StringBuilder("SAN=ip:127.0.0.1");
            for (String name : dnsNames) {
                san.append(",dns:").append(name);
            }
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("-gencert", "-alias", "ca",
                    "-keystore", store.toString(), "-storepass", PASSWORD, "-infile", csr.toString(),
                    "-outfile", crt.toString(), "-rfc", "-validity", Integer.toString(days), "-ext", san.toString(),
                    "-ext", "EKU=serverAuth,clientAuth"));
            if (startDate != null) {
                args.addAll(java.util.List.of("-startdate", startDate));
            }
            keytool(args.toArray(String[]::new));
            X509Certificate cert;
            try (InputStream in = Files.newInputStream(crt)) {
                cert = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                        .generateCertificate(in);
            }
            return new TestCerts(cert, (PrivateKey) load(leaf).getKey("tls", PASSWORD.toCharArray()));
        }

        public String certPem() throws Exception {
            return pem("CERTIFICATE", certificate.getEncoded());
        }
    }

    private static Path newStore(Path dir) throws Exception {
        Path store = Files.createTempFile(dir, "keystore", ".p12");
        Files.delete(store);
        return store;
    }

    private static KeyStore load(Path store) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        return ks;
    }

    private static void keytool(String... args) throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(keytool.toString()));
        command.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + out);
        }
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
