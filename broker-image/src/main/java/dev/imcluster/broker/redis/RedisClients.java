package dev.imcluster.broker.redis;

import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.config.RedisConfig;
import dev.imcluster.broker.config.SecurityConfig;
import io.lettuce.core.SslOptions;
import java.io.File;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.ClientResources;
import io.netty.resolver.DefaultAddressResolverGroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Builds lettuce clients from the {@code redis} config section: address, database, TLS, and the password from
 * {@code redis.passwordFile} or the environment variable {@value #PASSWORD_ENV} (never from the config file).
 * Commands fail fast while disconnected (no silent buffering) and time out after {@code redis.commandTimeout}.
 * Over TLS ({@code redis.tls} or a rediss:// address) with {@code security.internalTls} set, the server is checked
 * against its CA bundle and the role's certificate is the client certificate.
 */
public final class RedisClients {
    public static final String PASSWORD_ENV = "IMCLUSTER_REDIS_PASSWORD";
    public static final String SENTINEL_PASSWORD_ENV = "IMCLUSTER_REDIS_SENTINEL_PASSWORD";

    private RedisClients() {
    }

    /**
     * The URI for {@code address} (host:port, or redis:// / rediss:// URI) with the section's database, TLS and
     * password; {@code address} null means the section's own Redis: {@code redis.sentinel} when it names a master,
     * else {@code redis.address}.
     */
    public static RedisURI uri(RedisConfig config, String address) {
        boolean own = address == null || address.isBlank();
        RedisURI uri = own && config.sentinel.enabled() ? sentinelUri(config) : parse(own ? config.address : address);
        uri.setDatabase(config.database);
        if (config.tls) {
            uri.setSsl(true);
        }
        uri.setTimeout(config.commandTimeout);
        char[] password = password(config);
        if (password != null) {
            uri.setCredentialsProvider(io.lettuce.core.RedisCredentialsProvider.from(
                    () -> io.lettuce.core.RedisCredentials.just(null, password)));
        }
        return uri;
    }

    /** For logs and errors: the address, or "master NAME via sentinels A,B". */
    public static String where(RedisConfig config) {
        return config.sentinel.enabled() ? "master " + config.sentinel.masterName + " via sentinels "
                + String.join(",", config.sentinel.addresses) : config.address;
    }

    /** The master named {@code redis.sentinel.masterName}, looked up through every listed sentinel. */
    private static RedisURI sentinelUri(RedisConfig config) {
        RedisURI.Builder b = RedisURI.builder().withSentinelMasterId(config.sentinel.masterName);
        char[] password = secret(config.sentinel.passwordFile, "redis.sentinel.passwordFile", SENTINEL_PASSWORD_ENV);
        for (String address : config.sentinel.addresses) {
            RedisURI sentinel = parse(address);
            sentinel.setSsl(config.tls);
            sentinel.setTimeout(config.commandTimeout);
            if (password != null) {
                sentinel.setCredentialsProvider(io.lettuce.core.RedisCredentialsProvider.from(
                        () -> io.lettuce.core.RedisCredentials.just(null, password)));
            }
            b.withSentinel(sentinel);
        }
        return b.build();
    }

    private static RedisURI parse(String address) {
        String target = address.trim();
        if (target.contains("://")) {
            return RedisURI.create(target);
        }
        int colon = target.lastIndexOf(':');
        if (colon <= 0 || colon == target.length() - 1) {
            throw new ConfigException("redis address '" + target + "' must be host:port or a redis:// URI");
        }
        int port;
        try {
            port = Integer.parseInt(target.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException("redis address '" + target + "' has a bad port");
        }
        return RedisURI.create(target.substring(0, colon), port);
    }

    /** The password from the file, else the environment variable, else none. */
    public static char[] password(RedisConfig config) {
        return secret(config.passwordFile, "redis.passwordFile", PASSWORD_ENV);
    }

    /** The secret in {@code file} (config key {@code key}), else in the environment variable {@code env}, else none. */
    private static char[] secret(String file, String key, String env) {
        if (file == null || file.isBlank()) {
            String value = System.getenv(env);
            return value == null || value.isEmpty() ? null : value.toCharArray();
        }
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip().toCharArray();
        } catch (IOException e) {
            throw new ConfigException("cannot read " + key + " " + file + ": " + e, e);
        }
    }

    /**
     * A client that resolves host names through the JVM (InetAddress: its cache, /etc/hosts and
     * {@code -Djdk.net.hosts.file}), as the broker's gRPC, NATS and Kafka clients do, instead of lettuce's default
     * netty DNS resolver, which only reads /etc/resolv.conf and /etc/hosts. Its resources are its own: release them
     * with {@link #shutdown(RedisClient)}.
     */
    public static RedisClient client(RedisConfig config, SecurityConfig.InternalTlsConfig internalTls,
                                     String address) {
        RedisURI uri = uri(config, address);
        RedisClient client = RedisClient.create(
                ClientResources.builder().addressResolverGroup(DefaultAddressResolverGroup.INSTANCE).build(), uri);
        ClientOptions.Builder options = ClientOptions.builder();
        if (uri.isSsl() && internalTls.enabled()) {
            // The cluster's CA and this role's certificate; lettuce reads the files at each connect.
            options.sslOptions(SslOptions.builder().jdkSslProvider()
                    .trustManager(new File(internalTls.caFile))
                    .keyManager(new File(internalTls.certFile), new File(internalTls.keyFile), null)
                    .build());
        }
        client.setOptions(options
                .autoReconnect(true)
                // Reject instead of queueing while disconnected: a caller gets a prompt, clear error.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(config.commandTimeout))
                .socketOptions(SocketOptions.builder().connectTimeout(config.commandTimeout)
                        // A server cut off by the network sends nothing, not even a reset: without these the
                        // connection looks open (and the bus "up") for as long as TCP retransmits, minutes. With
                        // them the kernel closes it within seconds, and lettuce reconnects once the network heals.
                        .keepAlive(SocketOptions.KeepAliveOptions.builder().enable()
                                .idle(Duration.ofSeconds(5)).interval(Duration.ofSeconds(1)).count(3).build())
                        .tcpUserTimeout(SocketOptions.TcpUserTimeoutOptions.builder().enable()
                                .tcpUserTimeout(Duration.ofSeconds(8)).build())
                        .build())
                .build());
        return client;
    }

    /** Shuts the client and its own resources down. */
    public static void shutdown(RedisClient client) {
        client.shutdown();
        client.getResources().shutdown();
    }
}
