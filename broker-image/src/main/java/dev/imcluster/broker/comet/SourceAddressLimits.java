package dev.imcluster.broker.comet;

import dev.imcluster.broker.config.CometConfig;
import dev.imcluster.broker.security.RateLimiter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The limits per source address of clients: new connections per second ({@code comet.connectRateLimit}), open
 * connections ({@code comet.maxConnectionsPerAddress}) and publishes per second
 * ({@code comet.publishRateLimitPerAddress}); and publishes per connection ({@code comet.publishRateLimit}).
 * A source is an IPv4 address, or an IPv6 /64 (one subscriber's usual allocation, which it could otherwise
 * rotate through freely). The address is the TCP peer's: behind a load balancer that does not keep client
 * addresses every client shares the balancer's, so these limits are then per balancer, not per client.
 *
 * <p>Memory: the rate limiters keep at most their {@code maxKeys} buckets and forget idle ones; the open counts
 * hold one entry per source with an open connection, removed with its last connection.
 */
final class SourceAddressLimits {
    static final String RATE_LIMITED = "rate_limited";
    static final String PER_ADDRESS_LIMIT = "per_address_limit";
    static final String CONNECTION_RATE_LIMITED = "connection_rate_limited";
    static final String ADDRESS_RATE_LIMITED = "address_rate_limited";

    private final CometConfig config;
    private final CometMetrics metrics;
    private final RateLimiter connects;
    private final RateLimiter publishesPerConnection;
    private final RateLimiter publishesPerAddress;
    private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();

    SourceAddressLimits(CometConfig config, CometMetrics metrics, MeterRegistry meters,
                        RateLimiter publishesPerConnection) {
        this.config = config;
        this.metrics = metrics;
        this.connects = new RateLimiter("comet_connect", config.connectRateLimit, meters);
        this.publishesPerConnection = publishesPerConnection;
        this.publishesPerAddress = new RateLimiter("comet_publish_address", config.publishRateLimitPerAddress,
                meters);
    }

    /**
     * Admits a new connection (or gRPC Subscribe stream) from {@code remote}, or returns why not: {@link
     * #RATE_LIMITED} or {@link #PER_ADDRESS_LIMIT}, already counted. An admitted one must be {@link #release}d.
     */
    String admit(SocketAddress remote) {
        String source = sourceOf(remote);
        String refusal = null;
        if (!connects.tryAcquire(source)) {
            refusal = RATE_LIMITED;
        } else if (!holdOpen(source)) {
            refusal = PER_ADDRESS_LIMIT;
        }
        if (refusal != null) {
            metrics.connectionRefused(refusal);
        }
        return refusal;
    }

    /** Which setting a refusal reason of {@link #admit} comes from, for messages. */
    static String setting(String refusal) {
        return RATE_LIMITED.equals(refusal) ? "comet.connectRateLimit" : "comet.maxConnectionsPerAddress";
    }

    /** The end of a connection {@link #admit}ted. */
    void release(SocketAddress remote) {
        int max = config.maxConnectionsPerAddress;
        if (max > 0) {
            open.computeIfPresent(sourceOf(remote), (k, n) -> n <= 1 ? null : n - 1);
        }
    }

    private boolean holdOpen(String source) {
        int max = config.maxConnectionsPerAddress;
        if (max <= 0) {
            return true;
        }
        boolean[] held = {false};
        open.compute(source, (k, n) -> {
            int count = n == null ? 0 : n;
            if (count >= max) {
                return n;
            }
            held[0] = true;
            return count + 1;
        });
        return held[0];
    }

    /**
     * Null when one more client message from {@code connection} (a key unique to it) at {@code remote} is within
     * both publish limits; otherwise why not ({@link #CONNECTION_RATE_LIMITED} or {@link #ADDRESS_RATE_LIMITED}),
     * already counted.
     */
    String tryPublish(String connection, SocketAddress remote) {
        String refusal = null;
        if (!publishesPerConnection.tryAcquire(connection)) {
            refusal = CONNECTION_RATE_LIMITED;
        } else if (publishesPerAddress.enabled() && !publishesPerAddress.tryAcquire(sourceOf(remote))) {
            refusal = ADDRESS_RATE_LIMITED;
        }
        if (refusal != null) {
            metrics.publishRefused(refusal);
        }
        return refusal;
    }

    /** Open connections counted for {@code remote}'s source (for tests). */
    int openFrom(SocketAddress remote) {
        return open.getOrDefault(sourceOf(remote), 0);
    }

    /** Sources with open connections counted (for tests: bounded by the open connections). */
    int trackedSources() {
        return open.size();
    }

    /** The IPv4 address, or the IPv6 /64 prefix, of {@code remote}; its string form for anything else. */
    static String sourceOf(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            InetAddress address = inet.getAddress();
            if (address instanceof Inet6Address) {
                byte[] prefix = Arrays.copyOf(address.getAddress(), 16);
                Arrays.fill(prefix, 8, 16, (byte) 0);
                try {
                    return InetAddress.getByAddress(prefix).getHostAddress() + "/64";
                } catch (UnknownHostException e) {
                    throw new IllegalStateException(e); // 16 bytes are always an address
                }
            }
            return address.getHostAddress();
        }
        return String.valueOf(remote);
    }
}
