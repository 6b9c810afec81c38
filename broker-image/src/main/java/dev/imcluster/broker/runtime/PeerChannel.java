package dev.imcluster.broker.runtime;

import com.google.common.net.InetAddresses;
import io.grpc.ConnectivityState;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC channel to another role by name (comet to logic, job to a comet) that follows the name within seconds
 * when the peer is replaced (a new pod: a new address behind the same name). grpc-java's own {@code dns}
 * resolver resolves once, then only when a connection fails, and ignores those refreshes for
 * {@code networkaddress.cache.ttl} (30 s unless set) after each resolution, while pick_first's reconnect backoff
 * grows to 120 s: a comet kept calling a replaced logic's old address for about a minute. Here the name is
 * resolved again every {@code resolveInterval} (and at once when the channel asks), a changed address list
 * reaches the channel at once, and a failing channel's reconnect backoff is reset every interval. The JVM's own
 * cache ({@code networkaddress.cache.ttl}, see {@code Main}) adds to the delay.
 */
public final class PeerChannel implements AutoCloseable {

    /** Resolutions (blocking lookups) and the backoff watchdog of every peer channel of the process. */
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "peer-channel-resolver");
        t.setDaemon(true);
        return t;
    });

    /** Ping interval on an internal connection (gRPC's minimum); servers permit it (see {@link GrpcServers}). */
    public static final Duration KEEPALIVE = Duration.ofSeconds(10);
    private static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(5);

    private final ManagedChannel channel;
    private final ScheduledFuture<?> watchdog;

    /** Builds {@code builder} (made with {@code forTarget("host:port")}) with the re-resolving name resolver. */
    @SuppressWarnings("deprecation") // nameResolverFactory: the per-channel way to install a resolver
    public PeerChannel(ManagedChannelBuilder<?> builder, Duration resolveInterval, HostResolver resolver) {
        long every = Math.max(1, resolveInterval.toMillis());
        builder.nameResolverFactory(new Factory(every, resolver))
                // A peer cut off by the network sends nothing, not even a reset: without pings the connection
                // looks open and calls time out one by one for minutes. A ping unanswered closes it, so the
                // channel reports TRANSIENT_FAILURE (readiness shows it) and reconnects once the network heals.
                .keepAliveTime(KEEPALIVE.toMillis(), TimeUnit.MILLISECONDS)
                .keepAliveTimeout(KEEPALIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .keepAliveWithoutCalls(true);
        this.channel = builder.build();
        this.watchdog = TIMER.scheduleWithFixedDelay(() -> {
            if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
                channel.resetConnectBackoff();
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    public ManagedChannel channel() {
        return channel;
    }

    @Override
    public void close() {
        watchdog.cancel(false);
        channel.shutdown();
        try {
            if (!channel.awaitTermination(2, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.shutdownNow();
        }
    }

    /** Answers targets {@code host:port} and {@code dns:///host:port}. */
    private static final class Factory extends NameResolver.Factory {
        private final long everyMillis;
        private final HostResolver resolver;

        Factory(long everyMillis, HostResolver resolver) {
            this.everyMillis = everyMillis;
            this.resolver = resolver;
        }

        @Override
        public NameResolver newNameResolver(URI target, NameResolver.Args args) {
            if (!"dns".equals(target.getScheme()) || target.getPath() == null) {
                return null;
            }
            String name = target.getPath().startsWith("/") ? target.getPath().substring(1) : target.getPath();
            URI hostPort = URI.create("//" + name);
            if (hostPort.getHost() == null) {
                return null;
            }
            int port = hostPort.getPort() == -1 ? args.getDefaultPort() : hostPort.getPort();
            return new Resolver(name, hostPort.getHost(), port, everyMillis, resolver,
                    args.getSynchronizationContext());
        }

        @Override
        public String getDefaultScheme() {
            return "dns";
        }
    }

    private static final class Resolver extends NameResolver {
        private final String authority;
        private final String host;
        private final int port;
        private final long everyMillis;
        private final HostResolver resolver;
        private final SynchronizationContext sync;
        private volatile boolean shutdown;
        private Listener2 listener;
        private ScheduledFuture<?> periodic;
        /** The last addresses handed to the channel (touched on TIMER only); null after an error. */
        private List<String> last;

        Resolver(String authority, String host, int port, long everyMillis, HostResolver resolver,
                 SynchronizationContext sync) {
            this.authority = authority;
            this.host = host;
            this.port = port;
            this.everyMillis = everyMillis;
            this.resolver = resolver;
            this.sync = sync;
        }

        @Override
        public String getServiceAuthority() {
            return authority;
        }

        @Override
        public void start(Listener2 listener) {
            this.listener = listener;
            periodic = TIMER.scheduleWithFixedDelay(this::resolve, 0, everyMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void refresh() {
            TIMER.execute(() -> {
                last = null; // the channel asks (its connection failed): hand it the addresses even if unchanged
                resolve();
            });
        }

        private void resolve() {
            if (shutdown) {
                return;
            }
            List<EquivalentAddressGroup> addresses = new ArrayList<>();
            List<String> ips;
            try {
                String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
                ips = InetAddresses.isInetAddress(bare) ? List.of(bare) : resolver.resolve(host);
                for (String ip : ips) {
                    addresses.add(new EquivalentAddressGroup(new InetSocketAddress(InetAddress.getByName(ip), port)));
                }
            } catch (UnknownHostException e) {
                last = null;
                sync.execute(() -> {
                    if (!shutdown) {
                        listener.onError(Status.UNAVAILABLE.withDescription("cannot resolve " + host).withCause(e));
                    }
                });
                return;
            }
            if (ips.equals(last)) {
                return;
            }
            last = ips;
            ResolutionResult result = ResolutionResult.newBuilder()
                    .setAddressesOrError(StatusOr.fromValue(addresses)).build();
            sync.execute(() -> {
                if (!shutdown) {
                    listener.onResult2(result);
                }
            });
        }

        @Override
        public void shutdown() {
            shutdown = true;
            if (periodic != null) {
                periodic.cancel(false);
            }
        }
    }
}
