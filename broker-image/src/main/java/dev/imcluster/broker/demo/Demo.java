package dev.imcluster.broker.demo;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.api.pubsub.SubscribeResponse;
import dev.imcluster.broker.comet.CometRole;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.logic.LogicRole;
import dev.imcluster.broker.process.BrokerProcess;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code standalone --demo}: acts as a user of the running standalone broker. A gRPC subscriber on a topic and a
 * goim WebSocket client in the same room (a topic is a room) print what they receive, while a publisher sends
 * through logic's HTTP push API and gRPC Publish in turn. It prints the commands to try by hand.
 */
public final class Demo implements AutoCloseable {

    static final String TYPE = "live";
    static final String ROOM = "1000";
    static final String TOPIC = TYPE + "://" + ROOM;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    private final BrokerProcess process;
    private final PrintStream out;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "demo");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicInteger sent = new AtomicInteger();
    private ManagedChannel cometChannel;
    private ManagedChannel logicChannel;
    private DemoWebSocketClient webSocket;

    public Demo(BrokerProcess process, PrintStream out) {
        this.process = process;
        this.out = out;
    }

    public void start() {
        BrokerConfig config = process.context().config();
        LogicRole logic = process.role(LogicRole.class).orElseThrow();
        CometRole comet = process.role(CometRole.class).orElseThrow();
        printInstructions(logic, comet);
        logicChannel = ManagedChannelBuilder.forAddress("127.0.0.1", logic.grpcPort()).usePlaintext().build();
        cometChannel = ManagedChannelBuilder.forAddress("127.0.0.1", comet.pubsubGrpcPort()).usePlaintext().build();
        subscribe();
        webSocket = new DemoWebSocketClient(URI.create("ws://127.0.0.1:" + comet.websocketPort()
                + config.comet.websocket.path),
                "{\"mid\":123,\"room_id\":\"" + TOPIC + "\",\"platform\":\"web\",\"accepts\":[1000,1001,1002]}",
                line -> print("websocket client", line));
        webSocket.connect();
        timer.scheduleWithFixedDelay(() -> publish(logic), 2, 3, TimeUnit.SECONDS);
    }

    private void subscribe() {
        PubSubServiceGrpc.newStub(cometChannel).subscribe(SubscribeRequest.newBuilder().setTopic(TOPIC).build(),
                new StreamObserver<>() {
                    @Override
                    public void onNext(SubscribeResponse value) {
                        print("gRPC subscriber", "received on topic " + TOPIC + ": "
                                + value.getPayload().toStringUtf8() + "  (position " + value.getOffset() + " of epoch "
                                + value.getEpoch() + ")");
                    }

                    @Override
                    public void onError(Throwable t) {
                        print("gRPC subscriber", "stream ended: " + t.getMessage());
                    }

                    @Override
                    public void onCompleted() {
                        print("gRPC subscriber", "stream completed");
                    }
                });
    }

    /** Env var with logic's internal token, for push API calls to a cluster deployed by the operator. */
    static final String PUSH_TOKEN_ENV = "IMCLUSTER_PUSH_TOKEN";

    /** A push API request, with {@code Authorization: Bearer $IMCLUSTER_PUSH_TOKEN} when that is set. */
    static HttpRequest.Builder pushRequest(String uri) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri));
        String token = System.getenv(PUSH_TOKEN_ENV);
        if (token != null && !token.isBlank()) {
            b.header("Authorization", "Bearer " + token.trim());
        }
        return b;
    }

    private void publish(LogicRole logic) {
        int n = sent.incrementAndGet();
        try {
            if (n % 2 == 1) {
                String body = "hello #" + n + " via the HTTP push API";
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + logic.httpPort() + "/goim/push/room?operation=1000&type=" + TYPE
                                        + "&room=" + ROOM))
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                print("publisher", "POST /goim/push/room \"" + body + "\" -> " + response.statusCode() + " "
                        + response.body());
            } else {
                String body = "hello #" + n + " via gRPC Publish";
                var accepted = PubSubServiceGrpc.newBlockingStub(logicChannel).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .publish(PublishRequest.newBuilder().setTopic(TOPIC)
                                .setPayload(ByteString.copyFrom(body, StandardCharsets.UTF_8)).build());
                print("publisher", "gRPC Publish(topic=" + TOPIC + ") \"" + body + "\" -> ok, id " + accepted.getId()
                        + ", position " + accepted.getOffset());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            print("publisher", "failed: " + e.getMessage());
        }
    }

    private void printInstructions(LogicRole logic, CometRole comet) {
        String push = "http://127.0.0.1:" + logic.httpPort();
        out.println();
        out.println("imcluster standalone is running (comet + logic + job in one process; Ctrl-C stops it).");
        out.println("  logic HTTP push API   " + push);
        out.println("  logic gRPC            127.0.0.1:" + logic.grpcPort() + "  (PubSubService.Publish, Logic)");
        out.println("  comet gRPC pub/sub    127.0.0.1:" + comet.pubsubGrpcPort()
                + "  (PubSubService.Subscribe and Publish)");
        out.println("  comet goim TCP        127.0.0.1:" + comet.tcpPort());
        out.println("  comet goim WebSocket  ws://127.0.0.1:" + comet.websocketPort() + "/sub");
        out.println("  metrics / health      http://127.0.0.1:" + process.adminPort() + "/metrics  /healthz  /readyz");
        out.println();
        out.println("The demo subscribes to topic " + TOPIC + " (= goim room type '" + TYPE + "', room '" + ROOM
                + "') and publishes to it every 3 s. Try it yourself:");
        out.println("  curl -X POST -d 'hi room' '" + push + "/goim/push/room?operation=1000&type=" + TYPE + "&room="
                + ROOM + "'");
        out.println("  curl -X POST -d 'hi all'  '" + push + "/goim/push/all?operation=1000'");
        out.println("  curl -X POST -d 'hi you'  '" + push + "/goim/push/mids?operation=1000&mids=123'");
        out.println("  curl '" + push + "/goim/online/top?type=" + TYPE + "&limit=10'");
        out.println("  grpcurl -plaintext -d '{\"topic\":\"" + TOPIC + "\"}' 127.0.0.1:" + comet.pubsubGrpcPort()
                + " PubSubService/Subscribe");
        out.println();
    }

    private void print(String who, String what) {
        out.println(LocalTime.now().format(TIME) + "  [" + who + "] " + what);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        if (webSocket != null) {
            webSocket.close();
        }
        if (cometChannel != null) {
            cometChannel.shutdownNow();
        }
        if (logicChannel != null) {
            logicChannel.shutdownNow();
        }
    }
}
