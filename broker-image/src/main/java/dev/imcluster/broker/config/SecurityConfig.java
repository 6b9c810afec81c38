package dev.imcluster.broker.config;

/** Protection of the endpoints that are not for clients. */
public final class SecurityConfig {
    /**
     * File holding a shared token (at least 16 characters). When set, logic's push API and the internal gRPC
     * services (Logic, Comet) require {@code authorization: Bearer <token>}, and the roles send it to each
     * other. Unset (standalone on loopback): those endpoints are open.
     */
    public String internalTokenFile;
}
