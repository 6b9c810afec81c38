package dev.imcluster.broker.testinfra;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test hosts on a private network that exists only inside this machine: each {@link Host} is a network namespace
 * with one veth whose other end is on a bridge in the root namespace, addresses in {@value #SUBNET}.0/24 (the
 * bridge is {@value #SUBNET}.1, the test JVM's side). A namespace has no default route, so nothing it sends can
 * leave the machine; {@link #create()} checks it. {@link #cut(Host, Host)} is a silent partition between two
 * hosts, as a broken link is: each one's neighbour entry for the other points at a MAC address no one has, so
 * packets are sent and lost (no reset, no error; connections time out). {@link #heal(Host, Host)} removes it.
 *
 * <p>Needs root (CAP_NET_ADMIN) and iproute2. Names start with {@value #PREFIX}: leftovers of a killed run are
 * deleted at the next {@link #create()}, and a shutdown hook deletes this run's if the JVM exits without
 * {@link #close()}. One run per machine at a time.
 */
public final class TestNetwork implements AutoCloseable {
    static final String PREFIX = "imtn-";
    static final String SUBNET = "10.213.0";
    private static final String BRIDGE = PREFIX + "br";
    /** A locally administered MAC that no interface has: frames to it are lost. */
    private static final String NOWHERE = "02:00:00:00:00:01";

    private final List<Host> hosts = new ArrayList<>();
    private final Thread cleanup = new Thread(this::delete, "test-network-cleanup");

    /** A test host: a network namespace with one address; {@link #exec()} runs a command inside it. */
    public record Host(String name, String address) {
        String namespace() {
            return PREFIX + name;
        }

        /** The prefix that runs a command in this host's namespace. */
        public List<String> exec() {
            return List.of("ip", "netns", "exec", namespace());
        }
    }

    private TestNetwork() {
    }

    /**
     * The bridge and its address, after deleting leftovers of an earlier run. Throws {@link Unavailable} when the
     * machine does not allow it (not root, no iproute2).
     */
    public static TestNetwork create() {
        sweep();
        TestNetwork net = new TestNetwork();
        try {
            ip("link", "add", BRIDGE, "type", "bridge");
        } catch (IllegalStateException e) {
            throw new Unavailable("cannot create a bridge (needs root and iproute2): " + e.getMessage());
        }
        Runtime.getRuntime().addShutdownHook(net.cleanup);
        ip("addr", "add", SUBNET + ".1/24", "dev", BRIDGE);
        ip("link", "set", BRIDGE, "up");
        return net;
    }

    /** A new host named {@code name} (at most 10 characters) with the next address of the subnet. */
    public synchronized Host host(String name) {
        if (name.length() > 10) {
            throw new IllegalArgumentException("host name too long for an interface name: " + name);
        }
        Host h = new Host(name, SUBNET + "." + (hosts.size() + 2));
        String ns = h.namespace();
        try {
            ip("netns", "add", ns);
        } catch (IllegalStateException e) {
            throw new Unavailable("cannot create a network namespace: " + e.getMessage());
        }
        hosts.add(h);
        ip("link", "add", ns, "type", "veth", "peer", "name", "eth0", "netns", ns);
        ip("link", "set", ns, "master", BRIDGE, "up");
        ip("-n", ns, "addr", "add", h.address() + "/24", "dev", "eth0");
        ip("-n", ns, "link", "set", "eth0", "up");
        ip("-n", ns, "link", "set", "lo", "up");
        String routes = ip("-n", ns, "route", "show");
        if (!routes.strip().equals(SUBNET + ".0/24 dev eth0 proto kernel scope link src " + h.address())) {
            throw new IllegalStateException(ns + " must route only its test subnet, has: " + routes);
        }
        return h;
    }

    /** Packets between {@code a} and {@code b} are lost, both ways, until {@link #heal(Host, Host)}. */
    public void cut(Host a, Host b) {
        ip("-n", a.namespace(), "neigh", "replace", b.address(), "lladdr", NOWHERE, "nud", "permanent", "dev", "eth0");
        ip("-n", b.namespace(), "neigh", "replace", a.address(), "lladdr", NOWHERE, "nud", "permanent", "dev", "eth0");
    }

    /** Ends {@link #cut(Host, Host)}: the hosts find each other by ARP again. */
    public void heal(Host a, Host b) {
        ip("-n", a.namespace(), "neigh", "del", b.address(), "dev", "eth0");
        ip("-n", b.namespace(), "neigh", "del", a.address(), "dev", "eth0");
    }

    @Override
    public void close() {
        delete();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    private synchronized void delete() {
        for (Host h : hosts) {
            // The veth pair first: a namespace outlives its name while closed sockets in it still retransmit.
            quietly("link", "del", h.namespace());
            quietly("netns", "del", h.namespace());
        }
        hosts.clear();
        quietly("link", "del", BRIDGE);
    }

    /** Deletes every namespace and link with the prefix (a killed run's). */
    private static void sweep() {
        try {
            for (String line : ip("netns", "list").split("\n")) {
                String ns = line.split(" ")[0];
                if (ns.startsWith(PREFIX)) {
                    quietly("netns", "del", ns);
                }
            }
            for (String line : ip("-o", "link", "show").split("\n")) {
                String[] fields = line.split(":\\s+");
                if (fields.length > 1 && fields[1].startsWith(PREFIX)) {
                    quietly("link", "del", fields[1].split("@")[0]);
                }
            }
        } catch (IllegalStateException e) {
            throw new Unavailable("iproute2 does not answer: " + e.getMessage());
        }
    }

    private static void quietly(String... args) {
        try {
            ip(args);
        } catch (IllegalStateException ignored) {
            // already gone
        }
    }

    /** Runs {@code ip args}; its output, or an exception with it when it fails. */
    private static String ip(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The machine cannot run test hosts (not root, no iproute2). */
    public static final class Unavailable extends RuntimeException {
        Unavailable(String why) {
            super(why);
        }
    }
}
