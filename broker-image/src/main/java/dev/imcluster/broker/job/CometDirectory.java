package dev.imcluster.broker.job;

import dev.imcluster.broker.security.InternalToken;
import dev.imcluster.broker.security.InternalTls;
import dev.imcluster.broker.config.JobConfig;
import dev.imcluster.broker.runtime.HostResolver;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The comets job fans out to, and which comet is server X (for key pushes).
 * <ul>
 *   <li>{@code static}: {@code job.comets.addresses} entries are {@code serverId=host:port} or {@code host:port};
 *       a plain entry answers to server ids {@code host:port} and {@code host}.</li>
 *   <li>{@code dns}: every A record of {@code job.comets.dnsName} (a headless Service), port {@code job.comets.port},
 *       re-resolved every {@code refreshInterval}. Server X is the comet whose address
 *       {@code X.<dnsName>} resolves to (a pod's own record when the pod's subdomain is the headless Service), or
 *       whose address or IP is X.</li>
 * </ul>
 * A server id that cannot be resolved makes the caller send to every comet (comets ignore keys they do not have).
 */
final class CometDirectory implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CometDirectory.class);

    private final JobConfig config;
    private final HostResolver resolver;
    private final ScheduledExecutorService refresher;
    /** address -> client. */
    private volatile Map<String, CometClient> comets = Map.of();
    /** server id -> address, from static entries and DNS lookups. */
    private final Map<String, String> serverToAddress = new ConcurrentHashMap<>();
    /** server ids whose lookup failed, until the next refresh. */
    private final Set<String> unresolvable = ConcurrentHashMap.newKeySet();

    /** Sent on every call to a comet (its internal gRPC requires it when configured); may be null. */
    private final InternalToken internalToken;
    private final InternalTls internalTls;

    /** Told about each comet discovery drops, before its client closes. */
    private final Consumer<CometClient> onGone;

    CometDirectory(JobConfig config, HostResolver resolver, InternalToken internalToken, InternalTls internalTls,
                   Consumer<CometClient> onGone) {
        this.config = config;
        this.onGone = onGone;
        this.internalToken = internalToken;
        this.internalTls = internalTls;
        this.resolver = resolver;
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "job-comet-discovery");
            t.setDaemon(true);
            return t;
        });
    }

    /** Discovers once (synchronously), then keeps refreshing in DNS mode. */
    void start() {
        refresh();
        if (config.comets.mode == JobConfig.DiscoveryMode.DNS) {
            long every = config.comets.refreshInterval.toMillis();
            refresher.scheduleWithFixedDelay(this::refreshQuietly, every, every, TimeUnit.MILLISECONDS);
        }
    }

    List<CometClient> all() {
        return List.copyOf(comets.values());
    }

    /** The comet named by a session's server id, if known now; an unknown id is looked up in the background. */
    Optional<CometClient> forServer(String serverId) {
        Map<String, CometClient> current = comets;
        String address = serverToAddress.get(serverId);
        if (address == null && current.containsKey(serverId)) {
            address = serverId;
        }
        if (address != null) {
            return Optional.ofNullable(current.get(address));
        }
        if (config.comets.mode == JobConfig.DiscoveryMode.DNS && !serverId.isEmpty() && unresolvable.add(serverId)) {
            refresher.execute(() -> lookUp(serverId));
        }
        return Optional.empty();
    }

    private void lookUp(String serverId) {
        Map<String, CometClient> current = comets;
        for (String host : List.of(serverId + "." + config.comets.dnsName, serverId)) {
            try {
                for (String ip : resolver.resolve(host)) {
                    String address = hostPort(ip, config.comets.port);
                    if (current.containsKey(address)) {
                        serverToAddress.put(serverId, address);
                        unresolvable.remove(serverId);
                        return;
                    }
                }
            } catch (UnknownHostException e) {
                // try the next form; stays unresolvable until the next refresh
            }
        }
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            log.warn("comet discovery failed, keeping {} known comets: {}", comets.size(), e.toString());
        }
    }

    synchronized void refresh() {
        Map<String, String> found = new LinkedHashMap<>(); // address -> server id (null when unknown)
        if (config.comets.mode == JobConfig.DiscoveryMode.DNS) {
            try {
                for (String ip : resolver.resolve(config.comets.dnsName)) {
                    found.put(hostPort(ip, config.comets.port), null);
                }
            } catch (UnknownHostException e) {
                // No records (no comet, or DNS trouble): keep the last known comets rather than drop them all;
                // calls to comets that are really gone are refused or time out (see CometFanout).
                log.warn("cannot resolve {}; keeping the {} known comets", config.comets.dnsName, comets.size());
                return;
            }
            unresolvable.clear();
        } else {
            for (String entry : config.comets.addresses) {
                int eq = entry.indexOf('=');
                found.put(eq < 0 ? entry.trim() : entry.substring(eq + 1).trim(),
                        eq < 0 ? null : entry.substring(0, eq).trim());
            }
        }
        Map<String, CometClient> next = new HashMap<>();
        Map<String, CometClient> previous = comets;
        Set<String> added = new LinkedHashSet<>();
        found.forEach((address, serverId) -> {
            CometClient client = previous.get(address);
            if (client == null) {
                client = new CometClient(address, config.pushTimeout, config.comets.unreachableHold,
                        config.comets.refreshInterval, internalToken, internalTls, resolver);
                added.add(address);
            }
            next.put(address, client);
            if (serverId != null) {
                serverToAddress.put(serverId, address);
            } else if (config.comets.mode == JobConfig.DiscoveryMode.STATIC_LIST) {
                serverToAddress.put(address, address);
                serverToAddress.put(host(address), address);
            }
        });
        comets = Map.copyOf(next);
        serverToAddress.values().removeIf(a -> !next.containsKey(a));
        previous.forEach((address, client) -> {
            if (!next.containsKey(address)) {
                log.info("comet {} is gone from discovery", address);
                onGone.accept(client);
                client.close();
            }
        });
        if (!added.isEmpty()) {
            log.info("comets discovered: {} (now {})", added, next.keySet());
        }
    }

    private static String host(String address) {
        int colon = address.lastIndexOf(':');
        return colon < 0 ? address : address.substring(0, colon);
    }

    private static String hostPort(String ip, int port) {
        return (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port;
    }

    int size() {
        return comets.size();
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        comets.values().forEach(CometClient::close);
        comets = Map.of();
    }
}
