package dev.imcluster.broker.config;

import java.time.Duration;

/** comet: the client edge (goim's comet). */
public final class CometConfig {
    public Listener tcp = new Listener(3101);
    public WebSocketListener websocket = new WebSocketListener();
    /** Internal gRPC (Comet service) that job calls; goim's 3109. */
    public Listener grpc = new Listener(3109);
    /** Public gRPC (PubSubService: Subscribe, and Publish forwarded to logic) for clients. */
    public Listener pubsubGrpc = new Listener(3100);
    /**
     * MQTT 3.1.1 and 5 clients (off by default): the token in CONNECT's password, topic filters {@code room/<type>/<id>}
     * and {@code topic/<name>} (docs/MQTT.md). TLS with comet.tls, limits as the goim listeners.
     */
    public MqttListener mqtt = new MqttListener();
    /** logic's gRPC target, e.g. {@code logic:3119} or {@code dns:///logic.ns.svc:3119}. */
    public String logicAddress = "localhost:3119";
    /**
     * How often logicAddress's name is resolved again, so that a replaced logic (a new address behind the same
     * name) is followed within seconds; a failed connection also triggers a resolution.
     */
    public Duration logicResolveInterval = Duration.ofSeconds(2);
    /** Number of connection buckets (goim: 32), chosen by a hash of the connection key. */
    public int buckets = 32;
    public ProtocolConfig protocol = new ProtocolConfig();
    /** How often comet reports its per-room online counts to logic (goim: 10 s). */
    public Duration onlineReportInterval = Duration.ofSeconds(10);
    /** On shutdown, how long to wait for clients to go before closing the rest. */
    public Duration drainTimeout = Duration.ofSeconds(20); // a published key; the code calls this shutdown
    /**
     * Lame duck: on shutdown, with more than reconnectSpreadAbove clients, comet closes them (so they reconnect to
     * another comet) in ten waves spread over this window instead of all at once (capped at drainTimeout).
     */
    public Duration reconnectSpread = Duration.ofSeconds(10);
    /** Up to this many clients are closed at once on shutdown; above it, spread over reconnectSpread. */
    public int reconnectSpreadAbove = 1000;
    /** Maximum concurrent client connections (goim-protocol and gRPC subscribers); 0 means no limit. */
    public int maxConnections = 0;
    /** TLS on the client listeners (tcp, websocket, pubsubGrpc); off unless certFile is set. */
    public TlsConfig tls = new TlsConfig();
    /**
     * Client messages per second, per connection: goim upstream frames such as SendMsg, and gRPC Publish calls
     * (per HTTP/2 connection, that is per peer address and port).
     */
    public RateLimitConfig publishRateLimit = new RateLimitConfig();
    /**
     * Client messages per second, per source address (all connections from one IP, or one IPv6 /64, together):
     * goim upstream frames and gRPC Publish. Off by default: clients behind one NAT or load balancer share it.
     */
    public RateLimitConfig publishRateLimitPerAddress = new RateLimitConfig();
    /**
     * New client connections per second, per source address (IP, or IPv6 /64): goim TCP and WebSocket connections
     * and gRPC Subscribe streams. 20 per second with bursts of 100 never refuses one client reconnecting or
     * subscribing to its topics, and stops one address from opening thousands a second; set rate 0 behind a load
     * balancer that hides client addresses (every client then shares the balancer's address).
     */
    public RateLimitConfig connectRateLimit = RateLimitConfig.of(20, 100);
    /**
     * Open client connections (goim TCP, WebSocket, and gRPC Subscribe streams) per source address (IP, or IPv6
     * /64); 0 means no limit. Off by default for the same reason as connectRateLimit.
     */
    public int maxConnectionsPerAddress = 0;

    public static final class TlsConfig {
        /** PEM certificate chain (a kubernetes.io/tls Secret's tls.crt); setting it turns TLS on. */
        public String certFile;
        /** PEM private key, PKCS#8 or PKCS#1 RSA (tls.key). */
        public String keyFile;
        /** How often the files are checked for a rotated certificate; new handshakes then use it. */
        public Duration reloadInterval = Duration.ofSeconds(30);

        public boolean enabled() {
            return certFile != null && !certFile.isBlank();
        }
    }

    public static final class WebSocketListener extends Listener {
        public String path = "/sub";

        public WebSocketListener() {
            super(3102);
        }
    }

    public static final class MqttListener extends Listener {
        /**
         * Largest MQTT packet accepted from a client, fixed header included (MQTT 5 clients are told it in CONNACK);
         * a larger one is refused and its connection closed.
         */
        public int maxPacketSize = 8192;

        public MqttListener() {
            super(1883);
            enabled = false;
        }
    }

    public static final class ProtocolConfig {
        /** Largest frame body accepted from or sent to a client (goim: 4096). */
        public int maxBodySize = 4096;
        /** The first frame (Auth) must arrive within this (goim: 8 s). */
        public Duration handshakeTimeout = Duration.ofSeconds(8);
        /** A connection that sends nothing (no heartbeat) for this long is closed. */
        public Duration heartbeatTimeout = Duration.ofMinutes(5);
        /** How often a live connection's session is renewed in logic (goim: random 10 to 30 min). */
        public Duration sessionRenewMin = Duration.ofMinutes(10);
        public Duration sessionRenewMax = Duration.ofMinutes(30);
        /**
         * Frames queued per connection before the client is disconnected as too slow (goim: 1024); for gRPC and MQTT
         * subscribers, messages still queued when the next room batch arrives.
         */
        public int sendQueueSize = 1024;
    }
}
