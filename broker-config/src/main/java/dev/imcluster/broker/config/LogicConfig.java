package dev.imcluster.broker.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** logic: the push API, sessions, auth and online counts (goim's logic). */
public final class LogicConfig {
    /** goim's HTTP push API (/goim/push/..., /goim/online/...). */
    public Listener http = new Listener(3111);
    /** Internal gRPC (Logic service) for comets, and the public PubSubService.Publish. */
    public Listener grpc = new Listener(3119);
    public AuthConfig auth = new AuthConfig();
    /** Where sessions live: {@code memory} (standalone, single logic) or {@code redis}. */
    public SessionStoreKind sessionStore = SessionStoreKind.memory;
    /** Session entries expire after this unless renewed by heartbeats (goim: 30 min). */
    public Duration sessionTtl = Duration.ofMinutes(30);
    /** The operation given to messages published on a gRPC topic (a room). */
    public int topicOperation = 1000;
    /**
     * How long a client may send nothing before comet closes it; comet gets it in the Connect reply (goim: heartbeat
     * 4m x heartbeatMax 2). Keep it well above the clients' heartbeat interval (goim's clients: 30 s).
     */
    public Duration clientHeartbeat = Duration.ofMinutes(8);
    /** Largest message accepted by the push API and Publish. */
    public int maxMessageSize = 65536;
    /**
     * A Publish repeated with the same idempotency key (and topic) within this long returns the first one's id and
     * position and is delivered once. Kept in the session store's Redis (so across logic replicas) with
     * logic.sessionStore: redis, else in this process; 0 turns it off.
     */
    public java.time.Duration idempotencyWindow = java.time.Duration.ofMinutes(2);
    /** At most this many idempotency keys are remembered; beyond it, keyed publishes are not deduplicated. */
    public int idempotencyMaxKeys = 1_000_000;
    /** Pushes and publishes per second, per caller (remote address on the HTTP API, JWT subject or peer on gRPC). */
    public RateLimitConfig pushRateLimit = new RateLimitConfig();

    public enum SessionStoreKind { memory, redis }

    public static final class AuthConfig {
        /**
         * {@code goim}: trust the Auth body's JSON as goim does (no token needed); {@code jwt}: require a JWT in
         * the body's {@code token} field, verified with the keys below.
         */
        public AuthMode mode = AuthMode.jwt;
        /** File holding an HMAC shared secret (at least 32 bytes; HS384 and HS512 need 48 and 64). */
        public String hs256SecretFile;
        /** File holding an RSA public key (PEM), for RS256/384/512 and PS256/384/512. */
        public String rs256PublicKeyFile;
        /**
         * File holding a JWK Set (JSON, as from a Secret); re-read every {@code jwksRefreshInterval} and when a
         * token names an unknown {@code kid}.
         */
        public String jwksFile;
        /**
         * The identity provider's JWK Set URL (https, or http on a loopback host only); fetched at start, every
         * {@code jwksRefreshInterval}, and (at most every 10 s) when a token names an unknown {@code kid}.
         */
        public String jwksUrl;
        /** How often the JWK Set (URL or file) is re-read. */
        public Duration jwksRefreshInterval = Duration.ofMinutes(5);
        /** Accepted JWS algorithms; empty: every algorithm the configured keys can verify. Never {@code none}. */
        public List<JwtAlgorithm> algorithms = new ArrayList<>();
        /** Clock skew tolerated on a token's {@code exp} and {@code nbf}. */
        public Duration clockSkew = Duration.ofSeconds(30);
        public String issuer;
        public String audience;
        /**
         * Whether a client JWT must carry the {@code imcluster} permissions claim: without it, a token may
         * subscribe to and publish on nothing (false: a token without the claim may do everything).
         */
        public boolean requirePermissions = false;
    }

    /** The JWS algorithms logic and comet can verify ({@code EdDSA} and {@code Ed25519}: Ed25519 keys only). */
    public enum JwtAlgorithm { HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512,
        EdDSA, Ed25519 }

    public enum AuthMode { goim, jwt }
}
