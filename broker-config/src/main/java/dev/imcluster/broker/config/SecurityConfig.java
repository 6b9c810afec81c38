package dev.imcluster.broker.config;

import java.time.Duration;

/** Protection of the endpoints that are not for clients. */
public final class SecurityConfig {
    /**
     * File holding a shared token (at least 16 characters). When set, logic's push API and the internal gRPC
     * services (Logic, Comet) require {@code authorization: Bearer <token>}, and the roles send it to each
     * other. Unset (standalone on loopback): those endpoints are open. With internalTls on it stays a second
     * factor beside the client certificate.
     */
    public String internalTokenFile;
    /** Mutual TLS between the roles, and TLS to Redis, NATS and Kafka; off unless certFile is set. */
    public InternalTlsConfig internalTls = new InternalTlsConfig();

    public static final class InternalTlsConfig {
        /**
         * PEM certificate chain of this role (tls.crt); setting it turns mutual TLS on for the internal gRPC
         * (comet's Comet service, logic's Logic service) and makes it the client certificate towards backends.
         */
        public String certFile;
        /** PEM private key of certFile (tls.key): PKCS#8, PKCS#1 RSA or SEC1 EC. */
        public String keyFile;
        /**
         * PEM bundle of the CAs trusted for peers and backends (ca.crt); during a CA rotation it holds the old
         * and the new CA.
         */
        public String caFile;
        /**
         * The name checked in the peer's certificate (DNS SAN) on every internal call, whatever address was
         * dialed (job calls comets by pod address). Unset: the dialed host name.
         */
        public String serverName;
        /** How often the three files are checked; changed files are used for new handshakes, without restart. */
        public Duration reloadInterval = Duration.ofSeconds(30);

        public boolean enabled() {
            return certFile != null && !certFile.isBlank();
        }
    }
}
