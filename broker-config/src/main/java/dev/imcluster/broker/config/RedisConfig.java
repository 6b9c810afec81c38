package dev.imcluster.broker.config;

/** The Redis that holds sessions (and the redis queue backend, unless it names its own). */
public final class RedisConfig {
    /** host:port. */
    public String address = "localhost:6379";
    public int database = 0;
    /**
     * Connect to Redis over TLS (as a rediss:// address does); with security.internalTls set, its CA bundle checks
     * the server and its certificate is the client certificate.
     */
    public boolean tls = false;
    /** The password is read from this file, or from the env var IMCLUSTER_REDIS_PASSWORD; never from the config. */
    public String passwordFile;
    /** A Redis command (and connect) that takes longer fails; bounds how long a request waits while Redis is down. */
    public java.time.Duration commandTimeout = java.time.Duration.ofSeconds(5);
}
