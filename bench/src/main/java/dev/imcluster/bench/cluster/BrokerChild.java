package dev.imcluster.bench.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The broker jar started as {@code standalone} on free ports, with the shipped defaults (e.g.
 * adaptive room batches, {@code job.roomBatch.maxDelay: 0s}) for everything but the ports and what the caller sets.
 */
public final class BrokerChild extends ChildProcess {
    /** The setting that turns comet's MQTT listener on; given "true", the broker also gets a free comet.mqtt.port. */
    public static final String MQTT_ENABLED = "comet.mqtt.enabled";

    private final BrokerEndpoints endpoints;

    private BrokerChild(List<String> command, Path dir, BrokerEndpoints ports) {
        super("broker", command, Map.of(), dir);
        this.endpoints = ports;
    }

    /**
     * @param jvmOptions options for the broker's JVM, e.g. -Xmx1g or -XX:StartFlightRecording=...
     * @param settings extra config keys (dotted path to value), added to the generated YAML config file (see
     *     {@link #yaml}); a null value leaves that key, and the keys below it, out
     */
    public static BrokerChild start(Path jar, List<String> jvmOptions, Map<String, String> settings, Path dir) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException("broker jar " + jar + " not found; build it first "
                    + "(./mvnw -q -B -pl broker-image -am -DskipTests package) or pass --broker-jar");
        }
        int http = freePort();
        int grpc = freePort();
        int tcp = freePort();
        int pubsub = freePort();
        int admin = freePort();
        Map<String, String> config = new LinkedHashMap<>();
        config.put("admin.port", String.valueOf(admin));
        config.put("logic.http.port", String.valueOf(http));
        config.put("logic.grpc.port", String.valueOf(grpc));
        config.put("comet.tcp.port", String.valueOf(tcp));
        config.put("comet.pubsubGrpc.port", String.valueOf(pubsub));
        config.put("comet.grpc.port", String.valueOf(freePort()));
        config.put("comet.websocket.enabled", "false");
        // The bench opens thousands of connections from a few loopback addresses: no per-address connect limit.
        config.put("comet.connectRateLimit.rate", "0");
        config.putAll(settings);
        // comet's MQTT listener only when asked: older jars (and the other rows) never see the key.
        int mqtt = -1;
        if ("true".equals(settings.get(MQTT_ENABLED))) {
            mqtt = freePort();
            config.put("comet.mqtt.port", String.valueOf(mqtt));
        }
        settings.forEach((key, value) -> {
            if (value == null) {
                config.keySet().removeIf(k -> k.equals(key) || k.startsWith(key + "."));
            }
        });
        Path file = dir.resolve("broker.yaml");
        try {
            Files.createDirectories(dir);
            Files.writeString(file, "# written by imcluster-bench\n" + yaml(config));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString(), "standalone", "--config", file.toString()));
        BrokerChild child = new BrokerChild(command, dir,
                new BrokerEndpoints("127.0.0.1", http, grpc, tcp, pubsub, admin, mqtt, -1, -1));
        try {
            child.awaitReady(() -> readyz(admin), Duration.ofSeconds(90));
        } catch (RuntimeException e) {
            child.close();
            throw e;
        }
        return child;
    }

    /**
     * Dotted keys (admin.port) as nested YAML. A value that starts with [ or { is written as it is (YAML flow
     * syntax: the way to give a list of objects such as delivery.history); numbers and booleans are written plain;
     * a value with commas becomes a list of strings, and anything else a quoted string, as the broker reads the
     * same values from a .properties file.
     */
    public static String yaml(Map<String, String> settings) {
        Map<String, Object> tree = new LinkedHashMap<>();
        settings.forEach((key, value) -> {
            String[] path = key.split("\\.");
            Map<String, Object> node = tree;
            for (int i = 0; i < path.length - 1; i++) {
                Object child = node.computeIfAbsent(path[i], k -> new LinkedHashMap<String, Object>());
                if (!(child instanceof Map)) {
                    throw new IllegalArgumentException("config key " + key + " is below a value");
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> next = (Map<String, Object>) child;
                node = next;
            }
            node.put(path[path.length - 1], value);
        });
        StringBuilder sb = new StringBuilder();
        render(tree, "", sb);
        return sb.toString();
    }

    private static void render(Map<String, Object> node, String indent, StringBuilder sb) {
        node.forEach((key, value) -> {
            sb.append(indent).append(key).append(':');
            if (value instanceof Map<?, ?> child) {
                sb.append('\n');
                @SuppressWarnings("unchecked")
                Map<String, Object> map = (Map<String, Object>) child;
                render(map, indent + "  ", sb);
            } else {
                sb.append(' ').append(scalar((String) value)).append('\n');
            }
        });
    }

    private static String scalar(String value) {
        String v = value.trim();
        if (v.startsWith("[") || v.startsWith("{")) {
            return v;
        }
        if (v.matches("-?[0-9]+(\\.[0-9]+)?|true|false")) {
            return v;
        }
        if (v.contains(",")) {
            List<String> items = new ArrayList<>();
            for (String part : v.split(",")) {
                items.add(quoted(part.trim()));
            }
            return "[" + String.join(", ", items) + "]";
        }
        return quoted(v);
    }

    private static String quoted(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    public BrokerEndpoints endpoints() {
        BrokerEndpoints e = endpoints;
        return new BrokerEndpoints(e.host(), e.logicHttp(), e.logicGrpc(), e.cometTcp(), e.cometPubSub(),
                e.cometAdmin(), e.cometMqtt(), pid(), -1);
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static boolean readyz(int adminPort) {
        try {
            HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort
                    + "/readyz")).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
