package dev.imcluster.nodeagent;

import io.fabric8.kubernetes.api.model.Container;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The local process that stands in for a container's image: the broker image runs the local broker jar, the Redis
 * image Debian's redis-server, the NATS image nats-server, the Mosquitto image its own start script with Debian's
 * mosquitto, each bound to the pod's address.
 */
final class LocalCommand {
    static final String BROKER_JAR_IN_IMAGE = "/app/imcluster-broker.jar";
    /** The managed Mosquitto's mosquitto.conf, which its start script writes (operator's MqttModel). */
    static final String MOSQUITTO_CONF_ENV = "MOSQUITTO_CONF";
    static final int NEGATIVE_TTL_SECONDS = 1;

    private final Path hostsFile;
    private final Path brokerJar;
    private final List<String> jvmOpts;

    LocalCommand(Path hostsFile, Path brokerJar, List<String> jvmOpts) {
        this.hostsFile = hostsFile;
        this.brokerJar = brokerJar;
        this.jvmOpts = jvmOpts;
    }

    /** The command line; may add to env. Fails for an image it cannot run locally. */
    List<String> of(Container c, String ip, Map<String, String> env, PathRewriter rewriter) {
        List<String> args = rewritten(c.getArgs(), rewriter, env);
        List<String> cmd = rewritten(c.getCommand(), rewriter, env);
        cmd.addAll(args);
        String image = Objects.requireNonNullElse(c.getImage(), "");
        boolean hasCommand = c.getCommand() != null && !c.getCommand().isEmpty();
        List<String> out = new ArrayList<>();
        if (cmd.contains(BROKER_JAR_IN_IMAGE) || image.contains("imcluster/broker") || image.contains("imcluster-broker")) {
            env.put("IMCLUSTER__BINDADDRESS", ip);
            // A 5 s name cache (the JVM's default is 30 s) and a 1 s cache of failed lookups, so Service changes
            // reach the brokers quickly: a Service name is missing from the hosts file while none of its pods is
            // ready, and the JVM would otherwise keep that failure 10 s (java.security's
            // networkaddress.cache.negative.ttl, which overrides -Dsun.net.inetaddr.negative.ttl).
            out.addAll(List.of("java", "-Djdk.net.hosts.file=" + hostsFile, "-Dsun.net.inetaddr.ttl=5",
                    "-Djava.security.properties=" + dnsCachePolicy()));
            out.addAll(jvmOpts);
            out.addAll(List.of("-jar", brokerJar.toString()));
            // java [opts] -jar /app/imcluster-broker.jar ROLE ...; else the image's own entrypoint takes the role.
            int jar = cmd.indexOf(BROKER_JAR_IN_IMAGE);
            out.addAll(jar >= 0 ? cmd.subList(jar + 1, cmd.size()) : args);
            return out;
        }
        if ((!cmd.isEmpty() && cmd.get(0).equals("redis-server")) || (cmd.isEmpty() && image.contains("redis"))) {
            out.addAll(cmd.isEmpty() ? List.of("redis-server") : cmd);
            out.addAll(List.of("--bind", ip));
            return out;
        }
        if (image.contains("nats") && !hasCommand) {
            out.add("nats-server");
            out.addAll(routesByAddress(cmd));
            out.addAll(List.of("-a", ip));
            return out;
        }
        if (image.contains("mosquitto") && hasCommand) {
            // Its listener on the pod's address only (comet's MQTT listener takes the same port on its own), and
            // no drop to a 'mosquitto' user: this agent's user owns the pod's directories.
            env.computeIfPresent(MOSQUITTO_CONF_ENV, (k, conf) -> conf.replaceAll("(?m)^listener (\\d+)$",
                    "listener $1 " + ip) + "\nuser " + System.getProperty("user.name"));
            out.addAll(cmd);
            return out;
        }
        throw new IllegalArgumentException("cannot run image " + image + " with command " + cmd + " locally");
    }

    /** The security properties file that sets the JVMs' cache of failed name lookups, written once beside the hosts file. */
    private Path dnsCachePolicy() {
        Path file = hostsFile.resolveSibling("dns-cache.security");
        if (!Files.exists(file)) {
            try {
                Files.writeString(file, "networkaddress.cache.negative.ttl=" + NEGATIVE_TTL_SECONDS + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file, e);
            }
        }
        return file;
    }

    /** Each value with $(VAR) expanded from the container's env (as the kubelet does) and mount paths rewritten. */
    private static List<String> rewritten(List<String> values, PathRewriter rewriter, Map<String, String> env) {
        List<String> out = new ArrayList<>();
        for (String v : Objects.requireNonNullElse(values, List.<String>of())) {
            out.add(rewriter.rewrite(PodEnvironment.expand(v, env)));
        }
        return out;
    }

    /**
     * nats-server's {@code --routes} with each host name replaced by the addresses the hosts file gives it now:
     * nats-server resolves names with the system resolver, which does not read the agent's hosts file. A route
     * Service that publishes not-ready pods lists every server already started; the ones started later connect to
     * this one, and the cluster's gossip completes the mesh.
     */
    List<String> routesByAddress(List<String> args) {
        int at = args.indexOf("--routes");
        if (at < 0 || at + 1 >= args.size()) {
            return args;
        }
        Map<String, List<String>> hosts = hostsFileEntries();
        List<String> routes = new ArrayList<>();
        for (String route : args.get(at + 1).split(",")) {
            java.net.URI uri = java.net.URI.create(route.trim());
            List<String> ips = hosts.get(uri.getHost());
            if (ips == null) {
                routes.add(route.trim()); // an address, or a name the hosts file lacks: left to nats-server
                continue;
            }
            for (String ip : ips) {
                routes.add(uri.getScheme() + "://" + ip + ":" + uri.getPort());
            }
        }
        List<String> out = new ArrayList<>(args);
        out.set(at + 1, String.join(",", routes));
        return out;
    }

    /** Name -> addresses, from the hosts file (empty when it cannot be read yet). */
    private Map<String, List<String>> hostsFileEntries() {
        Map<String, List<String>> names = new java.util.HashMap<>();
        try {
            for (String line : Files.readAllLines(hostsFile)) {
                String[] f = line.trim().split("\\s+");
                for (int i = 1; i < f.length; i++) {
                    names.computeIfAbsent(f[i], k -> new ArrayList<>()).add(f[0]);
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return names;
    }
}
