package dev.imcluster.broker.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A user of a running cluster, for the quickstart and e2e:
 * {@code java -cp imcluster-broker.jar dev.imcluster.broker.demo.DemoClient --push http://LOGIC:3111
 * --ws ws://COMET:3102/sub [--ws ...] --grpc COMET:3100 [--grpc ...] --mqtt tcp://COMET:1883 [--mqtt ...]
 * [--messages N] [--timeout SECONDS]}.
 * It connects goim WebSocket clients, gRPC topic subscribers and MQTT clients to room {@link Demo#TOPIC}, publishes N messages
 * through logic's HTTP push API (with {@code IMCLUSTER_PUSH_TOKEN} as its bearer token when set), and exits 0 when every receiver got all of them (1 otherwise).
 */
public final class DemoClient {

    private final List<Receiver> receivers = new ArrayList<>();
    private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService reconnects = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "demo-reconnect");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private volatile boolean closing;

    /** One client and the payloads of this run it received. */
    record Receiver(String name, Set<String> got) {
        Receiver(String name) {
            this(name, ConcurrentHashMap.newKeySet());
        }

        void accept(String payload, String run) {
            int at = payload.indexOf(run);
            if (at >= 0) {
                got.add(payload.substring(at));
            }
        }
    }

    public static void main(String[] args) throws Exception {
        String push = null;
        List<String> ws = new ArrayList<>();
        List<String> grpc = new ArrayList<>();
        List<String> mqtt = new ArrayList<>();
        int messages = 5;
        long timeoutSeconds = 60;
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--push" -> push = value;
                case "--ws" -> ws.add(value);
                case "--grpc" -> grpc.add(value);
                case "--mqtt" -> mqtt.add(value);
                case "--messages" -> messages = Integer.parseInt(value);
                case "--timeout" -> timeoutSeconds = Long.parseLong(value);
                default -> {
                    System.err.println("unknown argument " + args[i] + "\nusage: DemoClient --push URL --ws URL... "
                            + "--grpc HOST:PORT... --mqtt tcp://HOST:PORT... [--messages N] [--timeout SECONDS]");
                    System.exit(2);
                }
            }
            i++;
        }
        if (push == null || ws.isEmpty() && grpc.isEmpty() && mqtt.isEmpty()) {
            System.err.println("DemoClient needs --push and at least one --ws, --grpc or --mqtt");
            System.exit(2);
        }
        DemoClient client = new DemoClient();
        boolean ok;
        try {
            ok = client.run(push, ws, grpc, mqtt, messages, System.nanoTime() + timeoutSeconds * 1_000_000_000L);
        } finally {
            client.close();
        }
        System.exit(ok ? 0 : 1);
    }

    boolean run(String push, List<String> ws, List<String> grpc, List<String> mqtt, int messages, long deadline)
            throws Exception {
        int mid = 1000;
        for (String url : ws) {
            Receiver r = new Receiver("websocket " + url);
            receivers.add(r);
            openWebSocket(url, "{\"mid\":" + (mid++) + ",\"room_id\":\"" + Demo.TOPIC + "\",\"platform\":\"web\","
                    + "\"accepts\":[1000,1001,1002]}", r, deadline);
        }
        for (String target : grpc) {
            Receiver r = new Receiver("gRPC subscriber " + target);
            receivers.add(r);
            closeables.add(DemoGrpcSubscriber.subscribe(target, p -> r.accept(p, run), why -> {
                if (!closing) {
                    System.out.println("[" + r.name() + "] stream ended: " + why);
                }
            }));
        }
        for (String url : mqtt) {
            Receiver r = new Receiver("MQTT client " + url);
            receivers.add(r);
            closeables.add(DemoMqttSubscriber.subscribe(url, "demo-" + run + "-" + mid, "{\"mid\":" + (mid++)
                    + ",\"room_id\":\"" + Demo.TOPIC + "\",\"platform\":\"mqtt\"}", p -> r.accept(p, run)));
        }
        // Subscriptions have no acknowledgement: publish warm-ups until every receiver got one.
        int warmups = 0;
        while (!receivers.stream().allMatch(r -> r.got().stream().anyMatch(p -> p.contains("warmup")))) {
            if (System.nanoTime() > deadline) {
                return report(messages);
            }
            publish(push, run + " warmup " + (warmups++));
            Thread.sleep(1000);
        }
        for (int i = 0; i < messages; i++) {
            publish(push, run + " message " + i);
        }
        while (System.nanoTime() < deadline && !allReceived(messages)) {
            Thread.sleep(200);
        }
        return report(messages);
    }

    /**
     * A WebSocket client that connects again, a second later, when its connection is refused or closed (a comet
     * refuses auth while it cannot reach logic, as during a logic rollout), as goim's client does. What it misses
     * while away is reported, not hidden: the warm-ups wait for it, the messages do not.
     */
    private void openWebSocket(String url, String auth, Receiver r, long deadline) {
        AtomicBoolean ended = new AtomicBoolean();
        DemoWebSocketClient c = new DemoWebSocketClient(URI.create(url), auth, line -> {
            if (line.startsWith("received op")) {
                r.accept(line, run);
                return;
            }
            System.out.println("[" + r.name() + "] " + line);
            boolean gone = line.startsWith("connection closed") || line.startsWith("connection error")
                    || line.startsWith("cannot connect");
            if (gone && !closing && !ended.getAndSet(true) && System.nanoTime() < deadline) {
                System.out.println("[" + r.name() + "] connecting again in 1 s");
                reconnects.schedule(() -> openWebSocket(url, auth, r, deadline), 1, TimeUnit.SECONDS);
            }
        });
        closeables.add(c);
        c.connect();
    }

    private boolean allReceived(int messages) {
        return receivers.stream().allMatch(r -> count(r) == messages);
    }

    private long count(Receiver r) {
        return r.got().stream().filter(p -> p.contains(" message ")).count();
    }

    private boolean report(int messages) {
        for (Receiver r : receivers) {
            System.out.println((count(r) == messages ? "OK   " : "MISS ") + r.name() + ": received " + count(r)
                    + " of " + messages + " messages published through the push API");
        }
        return allReceived(messages);
    }

    private void publish(String push, String body) throws Exception {
        HttpResponse<String> response = http.send(Demo.pushRequest(push
                        + "/goim/push/room?operation=1000&type=" + Demo.TYPE + "&room=" + Demo.ROOM)
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            System.out.println("[publisher] POST /goim/push/room -> " + response.statusCode() + " " + response.body());
        }
    }

    private void close() {
        closing = true;
        reconnects.shutdownNow();
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                // closing at exit: nothing to do
            }
        }
    }
}
