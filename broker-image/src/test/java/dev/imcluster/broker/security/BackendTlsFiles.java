package dev.imcluster.broker.security;

import dev.imcluster.broker.config.SecurityConfig;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A cluster CA with a backend server's certificate and a role's, written as PEM files: what the backend TLS tests
 * (Redis, NATS, MQTT, Kafka) start their server with, and the role's security.internalTls.
 */
public record BackendTlsFiles(TestCerts.Authority ca, String serverCertFile, String serverKeyFile,
                              SecurityConfig.InternalTlsConfig role) {

    public String caFile() {
        return role.caFile;
    }

    /** A server certificate for localhost named {@code server}, and one for the role {@code role}. */
    public static BackendTlsFiles issue(Path dir, String server, String role) throws Exception {
        TestCerts.Authority ca = TestCerts.Authority.create(dir, "imcluster-ca");
        TestCerts serverCerts = ca.issue(dir, server, null, 2, "localhost");
        TestCerts roleCerts = ca.issue(dir, role, null, 2, "demo.default.imcluster.internal");
        SecurityConfig.InternalTlsConfig internalTls = new SecurityConfig.InternalTlsConfig();
        internalTls.caFile = write(dir, "ca.crt", ca.certPem());
        internalTls.certFile = write(dir, "tls.crt", roleCerts.certPem());
        internalTls.keyFile = write(dir, "tls.key", roleCerts.keyPem());
        return new BackendTlsFiles(ca, write(dir, server + ".crt", serverCerts.certPem()),
                write(dir, server + ".key", serverCerts.keyPem()), internalTls);
    }

    private static String write(Path dir, String name, String pem) throws Exception {
        return Files.writeString(dir.resolve(name), pem).toString();
    }
}
