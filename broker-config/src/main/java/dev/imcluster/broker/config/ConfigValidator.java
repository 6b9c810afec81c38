package dev.imcluster.broker.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Range and cross-field checks that the types alone cannot express; every message names its key. */
final class ConfigValidator {

    /** kafka-clients settings the broker sets itself; overriding them would break at-least-once or decoding. */
    private static final List<String> KAFKA_RESERVED = List.of("acks", "enable.idempotence", "enable.auto.commit",
            "group.id", "key.serializer", "value.serializer", "key.deserializer", "value.deserializer",
            "bootstrap.servers");

    private final List<ConfigException.Problem> errors = new ArrayList<>();

    private ConfigValidator() {
    }

    static void validate(BrokerConfig c) {
        ConfigValidator v = new ConfigValidator();
        v.port("admin.port", c.admin.port);
        v.notBlank("bindAddress", c.bindAddress);
        v.listener("comet.tcp", c.comet.tcp);
        v.listener("comet.websocket", c.comet.websocket);
        v.listener("comet.grpc", c.comet.grpc);
        v.listener("comet.pubsubGrpc", c.comet.pubsubGrpc);
        v.listener("comet.mqtt", c.comet.mqtt);
        v.range("comet.mqtt.maxPacketSize", c.comet.mqtt.maxPacketSize, 64, 16 * 1024 * 1024);
        if (c.comet.websocket.path == null || !c.comet.websocket.path.startsWith("/")) {
            v.error("comet.websocket.path", "must start with '/'");
        }
        v.notBlank("comet.logicAddress", c.comet.logicAddress);
        v.range("comet.buckets", c.comet.buckets, 1, 4096);
        v.range("comet.protocol.maxBodySize", c.comet.protocol.maxBodySize, 16, 16 * 1024 * 1024);
        v.positive("comet.protocol.handshakeTimeout", c.comet.protocol.handshakeTimeout);
        v.positive("comet.protocol.heartbeatTimeout", c.comet.protocol.heartbeatTimeout);
        v.positive("comet.protocol.sessionRenewMin", c.comet.protocol.sessionRenewMin);
        v.positive("comet.protocol.sessionRenewMax", c.comet.protocol.sessionRenewMax);
        if (c.comet.protocol.sessionRenewMax != null && c.comet.protocol.sessionRenewMin != null
                && c.comet.protocol.sessionRenewMax.compareTo(c.comet.protocol.sessionRenewMin) < 0) {
            v.error("comet.protocol.sessionRenewMax", "must not be less than comet.protocol.sessionRenewMin");
        }
        v.range("comet.protocol.sendQueueSize", c.comet.protocol.sendQueueSize, 1, 1 << 20);
        v.positive("comet.onlineReportInterval", c.comet.onlineReportInterval);
        v.positive("comet.logicResolveInterval", c.comet.logicResolveInterval);
        v.nonNegative("comet.drainTimeout", c.comet.drainTimeout);
        v.nonNegative("comet.reconnectSpread", c.comet.reconnectSpread);
        v.range("comet.reconnectSpreadAbove", c.comet.reconnectSpreadAbove, 0, Integer.MAX_VALUE);
        v.range("comet.maxConnections", c.comet.maxConnections, 0, Integer.MAX_VALUE);
        if (c.comet.tls.enabled() != (c.comet.tls.keyFile != null && !c.comet.tls.keyFile.isBlank())) {
            v.error("comet.tls", "comet.tls.certFile and comet.tls.keyFile go together");
        }
        v.positive("comet.tls.reloadInterval", c.comet.tls.reloadInterval);
        v.rateLimit("comet.publishRateLimit", c.comet.publishRateLimit);
        v.rateLimit("comet.publishRateLimitPerAddress", c.comet.publishRateLimitPerAddress);
        v.rateLimit("comet.connectRateLimit", c.comet.connectRateLimit);
        v.range("comet.maxConnectionsPerAddress", c.comet.maxConnectionsPerAddress, 0, Integer.MAX_VALUE);
        v.rateLimit("logic.pushRateLimit", c.logic.pushRateLimit);
        if (c.security.internalTokenFile != null && c.security.internalTokenFile.isBlank()) {
            v.error("security.internalTokenFile", "must not be blank; leave it unset to turn the internal token off");
        }

        SecurityConfig.InternalTlsConfig internalTls = c.security.internalTls;
        if (internalTls.enabled() || set(internalTls.keyFile) || set(internalTls.caFile)) {
            if (!internalTls.enabled() || !set(internalTls.keyFile) || !set(internalTls.caFile)) {
                v.error("security.internalTls", "security.internalTls.certFile, keyFile and caFile go together");
            }
        } else if (set(internalTls.serverName)) {
            v.error("security.internalTls.serverName", "needs security.internalTls.certFile, keyFile and caFile");
        }
        if (internalTls.serverName != null && !internalTls.serverName.matches("[A-Za-z0-9.-]+")) {
            v.error("security.internalTls.serverName", "must be a DNS name, got '" + internalTls.serverName + "'");
        }
        v.positive("security.internalTls.reloadInterval", internalTls.reloadInterval);

        v.listener("logic.http", c.logic.http);
        v.listener("logic.grpc", c.logic.grpc);
        v.positive("logic.sessionTtl", c.logic.sessionTtl);
        v.positive("logic.clientHeartbeat", c.logic.clientHeartbeat);
        v.range("logic.maxMessageSize", c.logic.maxMessageSize, 1, 64 * 1024 * 1024);
        v.nonNegative("logic.idempotencyWindow", c.logic.idempotencyWindow);
        v.range("logic.idempotencyMaxKeys", c.logic.idempotencyMaxKeys, 1, 100_000_000);
        LogicConfig.AuthConfig auth = c.logic.auth;
        if (auth.mode == LogicConfig.AuthMode.jwt && auth.hs256SecretFile == null && auth.rs256PublicKeyFile == null
                && auth.jwksFile == null && auth.jwksUrl == null) {
            v.error("logic.auth.mode", "jwt needs logic.auth.jwksUrl, jwksFile, hs256SecretFile or"
                    + " rs256PublicKeyFile (or set logic.auth.mode: goim to trust goim's Auth JSON)");
        }
        if (auth.jwksUrl != null) {
            String problem = jwksUrlProblem(auth.jwksUrl);
            if (problem != null) {
                v.error("logic.auth.jwksUrl", problem);
            }
        }
        v.positive("logic.auth.jwksRefreshInterval", auth.jwksRefreshInterval);
        v.nonNegative("logic.auth.clockSkew", auth.clockSkew);

        v.delivery(c.delivery);

        v.notBlank("job.group", c.job.group);
        v.range("job.roomBatch.maxMessages", c.job.roomBatch.maxMessages, 1, 10_000);
        v.nonNegative("job.roomBatch.maxDelay", c.job.roomBatch.maxDelay);
        v.positive("job.roomIdleTimeout", c.job.roomIdleTimeout);
        v.positive("job.pushTimeout", c.job.pushTimeout);
        v.positive("job.comets.refreshInterval", c.job.comets.refreshInterval);
        v.positive("job.comets.unreachableHold", c.job.comets.unreachableHold);
        v.port("job.comets.port", c.job.comets.port);
        if (c.job.comets.mode == JobConfig.DiscoveryMode.DNS) {
            v.notBlank("job.comets.dnsName", c.job.comets.dnsName);
        }

        v.range("mq.maxInFlight", c.mq.maxInFlight, 1, 1 << 20);
        v.positive("mq.retryBackoff", c.mq.retryBackoff);
        v.positive("mq.retryBackoffMax", c.mq.retryBackoffMax);
        if (c.mq.retryBackoff != null && c.mq.retryBackoffMax != null
                && c.mq.retryBackoffMax.compareTo(c.mq.retryBackoff) < 0) {
            v.error("mq.retryBackoffMax", "must not be less than mq.retryBackoff");
        }
        v.positive("mq.publishTimeout", c.mq.publishTimeout);
        v.nonNegative("mq.closeTimeout", c.mq.closeTimeout);
        v.backendSection(c, c.mq.backend);
        MqConfig.Backend previous = c.mq.previous == null ? null : c.mq.previous.asBackend();
        if (previous != null) {
            if (previous == c.mq.backend) {
                v.error("mq.previous.backend", "must differ from mq.backend (" + previous + "); set none outside a swap");
            } else if (c.mq.backend == MqConfig.Backend.memory) {
                v.error("mq.previous.backend", "a backend swap needs mq.backend kafka, nats, redis or mqtt");
            } else {
                v.backendSection(c, previous);
            }
        }
        if (c.redis.sentinel.enabled()) {
            if (c.redis.sentinel.addresses == null || c.redis.sentinel.addresses.isEmpty()) {
                v.error("redis.sentinel.addresses", "list at least one sentinel (host:port) for master "
                        + c.redis.sentinel.masterName);
            } else {
                for (String a : c.redis.sentinel.addresses) {
                    if (a == null || !a.trim().matches("[^\\s:]+:[0-9]{1,5}")) {
                        v.error("redis.sentinel.addresses", "'" + a + "' is not host:port");
                    }
                }
            }
        } else {
            v.notBlank("redis.address", c.redis.address);
        }
        v.range("redis.database", c.redis.database, 0, 15);
        v.positive("redis.commandTimeout", c.redis.commandTimeout);

        if (!v.errors.isEmpty()) {
            throw new ConfigException("invalid configuration", v.errors, null);
        }
    }

    /** Why a JWKS URL is refused, or null: keys fetched over plain http could be swapped on the way. */
    static String jwksUrlProblem(String url) {
        java.net.URI uri;
        try {
            uri = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            return "not a URL: " + e.getMessage();
        }
        String host = uri.getHost();
        if (host == null || uri.getScheme() == null) {
            return "must be an absolute https:// URL, got '" + url + "'";
        }
        boolean loopback = host.equalsIgnoreCase("localhost") || host.startsWith("127.") || host.equals("[::1]");
        if ("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()) && loopback) {
            return null;
        }
        return "must use https (plain http only to a loopback host, for tests), got '" + url + "'";
    }

    /** The settings section of {@code backend} (mq.backend, or mq.previous.backend during a swap). */
    private void backendSection(BrokerConfig c, MqConfig.Backend backend) {
        ConfigValidator v = this;
        switch (backend) {
            case kafka -> {
                v.notBlank("mq.kafka.bootstrapServers", c.mq.kafka.bootstrapServers);
                v.notBlank("mq.kafka.topic", c.mq.kafka.topic);
                v.range("mq.kafka.partitions", c.mq.kafka.partitions, 1, 100_000);
                v.range("mq.kafka.replicationFactor", c.mq.kafka.replicationFactor, 0, Short.MAX_VALUE);
                v.positive("mq.kafka.deliveryTimeout", c.mq.kafka.deliveryTimeout);
                if (c.mq.kafka.deliveryTimeout != null && c.mq.kafka.deliveryTimeout.toMillis() < 2000) {
                    v.error("mq.kafka.deliveryTimeout", "must be at least 2s");
                }
                for (String key : KAFKA_RESERVED) {
                    if (c.mq.kafka.properties != null && c.mq.kafka.properties.containsKey(key)) {
                        v.error("mq.kafka.properties." + key, "is set by the broker (at-least-once needs it); remove it");
                    }
                }
                if ((c.mq.kafka.saslUsername == null) != (c.mq.kafka.saslPasswordFile == null)) {
                    v.error("mq.kafka.saslUsername", "mq.kafka.saslUsername and mq.kafka.saslPasswordFile go together");
                }
            }
            case nats -> {
                v.notBlank("mq.nats.url", c.mq.nats.url);
                v.notBlank("mq.nats.stream", c.mq.nats.stream);
                v.notBlank("mq.nats.subject", c.mq.nats.subject);
                v.positive("mq.nats.ackWait", c.mq.nats.ackWait);
                v.range("mq.nats.maxDeliver", c.mq.nats.maxDeliver, -1, 1_000_000);
                if (c.mq.nats.maxDeliver == 0) {
                    v.error("mq.nats.maxDeliver", "must be -1 (unlimited) or at least 1");
                }
                v.positive("mq.nats.maxAge", c.mq.nats.maxAge);
                v.range("mq.nats.replicas", c.mq.nats.replicas, 1, 5);
            }
            case redis -> {
                v.notBlank("mq.redis.stream", c.mq.redis.stream);
                v.range("mq.redis.maxLength", c.mq.redis.maxLength, 1, Long.MAX_VALUE);
                v.positive("mq.redis.claimIdle", c.mq.redis.claimIdle);
                v.range("mq.redis.waitReplicas", c.mq.redis.waitReplicas, 0, 16);
                v.positive("mq.redis.waitTimeout", c.mq.redis.waitTimeout);
            }
            case mqtt -> {
                v.notBlank("mq.mqtt.url", c.mq.mqtt.url);
                if (set(c.mq.mqtt.url) && !c.mq.mqtt.url.startsWith("tcp://") && !c.mq.mqtt.url.startsWith("ssl://")) {
                    v.error("mq.mqtt.url", "must start with tcp:// or ssl://, got '" + c.mq.mqtt.url + "'");
                }
                if (c.mq.mqtt.protocolVersion != 3 && c.mq.mqtt.protocolVersion != 5) {
                    v.error("mq.mqtt.protocolVersion", "must be 5 (MQTT 5) or 3 (MQTT 3.1.1), got "
                            + c.mq.mqtt.protocolVersion);
                }
                v.notBlank("mq.mqtt.topic", c.mq.mqtt.topic);
                if (set(c.mq.mqtt.topic) && (c.mq.mqtt.topic.contains("+") || c.mq.mqtt.topic.contains("#")
                        || c.mq.mqtt.topic.startsWith("$"))) {
                    v.error("mq.mqtt.topic", "must be a plain topic name (no + or #, not starting with $)");
                }
                v.notBlank("mq.mqtt.clientIdPrefix", c.mq.mqtt.clientIdPrefix);
                if (set(c.mq.mqtt.clientIdPrefix) && !c.mq.mqtt.clientIdPrefix.matches("[A-Za-z0-9_-]+")) {
                    v.error("mq.mqtt.clientIdPrefix", "only letters, digits, '_' and '-'");
                }
                if (set(c.mq.mqtt.passwordFile) && !set(c.mq.mqtt.username)) {
                    v.error("mq.mqtt.passwordFile", "needs mq.mqtt.username (MQTT 3.1.1 sends no password alone)");
                }
                if (c.mq.mqtt.keepalive == null || c.mq.mqtt.keepalive.toSeconds() < 1
                        || c.mq.mqtt.keepalive.toSeconds() > 65535) {
                    v.error("mq.mqtt.keepalive", "must be between 1s and 65535s (MQTT counts whole seconds)");
                }
                v.positive("mq.mqtt.sessionExpiry", c.mq.mqtt.sessionExpiry);
            }
            case memory -> { }
        }
    }

    private void rateLimit(String key, RateLimitConfig r) {
        if (r == null) {
            error(key, "must not be null");
            return;
        }
        if (!(r.rate >= 0 && r.rate <= 1e9)) {
            error(key + ".rate", "must be between 0 (no limit) and 1e9 per second, got " + r.rate);
        }
        range(key + ".burst", r.burst, 1, 1_000_000_000);
        range(key + ".maxKeys", r.maxKeys, 1, 10_000_000);
    }

    private void error(String key, String message) {
        errors.add(new ConfigException.Problem(key, message));
    }

    private void listener(String key, Listener l) {
        if (l == null) {
            error(key, "must not be null");
            return;
        }
        port(key + ".port", l.port);
    }

    private void port(String key, int port) {
        range(key, port, 0, 65535);
    }

    private void delivery(DeliveryConfig d) {
        java.util.Set<String> patterns = new java.util.HashSet<>();
        for (int i = 0; i < d.history.size(); i++) {
            DeliveryConfig.History h = d.history.get(i);
            String key = "delivery.history[" + i + "]";
            if (h.pattern == null || h.pattern.isBlank()) {
                error(key + ".pattern", "must not be empty (use * to match every room)");
            } else if (!patterns.add(h.pattern)) {
                error(key + ".pattern", "'" + h.pattern + "' is listed twice");
            }
            range(key + ".size", h.size, 1, 1_000_000);
            positive(key + ".ttl", h.ttl);
        }
        for (int i = 0; i < d.presence.size(); i++) {
            String pattern = d.presence.get(i);
            if (pattern == null || pattern.isBlank()) {
                error("delivery.presence[" + i + "]", "must not be empty (use * to match every room)");
            }
        }
        positive("delivery.dedupe.window", d.dedupe.window);
        range("delivery.dedupe.maxIds", d.dedupe.maxIds, 0, 1 << 26);
    }

    private void range(String key, long value, long min, long max) {
        if (value < min || value > max) {
            error(key, "must be between " + min + " and " + max + ", got " + value);
        }
    }

    private static boolean set(String value) {
        return value != null && !value.isBlank();
    }

    private void notBlank(String key, String value) {
        if (value == null || value.isBlank()) {
            error(key, "must be set");
        }
    }

    private void positive(String key, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            error(key, "must be a positive duration, got " + (d == null ? "nothing" : ConfigLoader.formatDuration(d)));
        }
    }

    private void nonNegative(String key, Duration d) {
        if (d == null || d.isNegative()) {
            error(key, "must be zero or a positive duration");
        }
    }
}
