package dev.imcluster.nodeagent;

import java.util.TreeSet;

/** Pod addresses <base>N, N from 10 to 250: each pod its own loopback address, so ports never clash. */
final class IpPool {
    private final String base;
    private final TreeSet<Integer> free = new TreeSet<>();

    IpPool(String base) {
        this.base = base;
        for (int n = 10; n <= 250; n++) {
            free.add(n);
        }
    }

    /** The lowest free address. */
    synchronized String take() {
        if (free.isEmpty()) {
            throw new IllegalStateException("no free pod address left in " + base + "10-250");
        }
        return base + free.pollFirst();
    }

    synchronized void give(String ip) {
        free.add(Integer.parseInt(ip.substring(ip.lastIndexOf('.') + 1)));
    }
}
