package dev.imcluster.broker.runtime;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/** Resolves a host name to its IPv4/IPv6 addresses (as text); replaceable in tests. */
public interface HostResolver {
    List<String> resolve(String host) throws UnknownHostException;

    /** The JVM's resolver (hosts file, then DNS), cached for {@code networkaddress.cache.ttl}. */
    HostResolver SYSTEM = host -> {
        List<String> ips = new ArrayList<>();
        for (InetAddress a : InetAddress.getAllByName(host)) {
            ips.add(a.getHostAddress());
        }
        return ips;
    };
}
