package dev.imcluster.broker.config;

/** The Redis that holds sessions (and the redis queue backend, unless it names its own). */
public final class RedisConfig {
    /** host:port, or a redis:// URI; unused when {@code redis.sentinel.masterName} is set. */
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
    public Sentinel sentinel = new Sentinel();

    /**
     * A Redis run by Sentinel: the master is asked of the sentinels at each connect, so after a failover the broker
     * reconnects to the promoted replica (Sentinel closes clients of a demoted master).
     */
    public static final class Sentinel {
        /** The master's name in the sentinels' {@code sentinel monitor} line; unset means no Sentinel. */
        public String masterName;
        /** host:port of each sentinel (any one that answers will do; list them all). */
        public java.util.List<String> addresses = java.util.List.of();
        /**
         * The sentinels' own password (their requirepass), read from this file, or from the env var
         * IMCLUSTER_REDIS_SENTINEL_PASSWORD; none when neither is set.
         */
        public String passwordFile;

        public boolean enabled() {
            return masterName != null && !masterName.isBlank();
        }
    }
}
