package dev.imcluster.broker.demo;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A goim client over WebSocket, as goim's examples/javascript/client.js behaves: Auth (op 7) first, a heartbeat
 * (op 2) every 10 s, and pushes arriving as Raw (op 9) frames whose body holds whole frames.
 */
final class DemoWebSocketClient implements WebSocket.Listener, AutoCloseable {

    private static final int HEADER = 16;
    private static final int OP_HEARTBEAT = 2;
    private static final int OP_HEARTBEAT_REPLY = 3;
    private static final int OP_AUTH = 7;
    private static final int OP_AUTH_REPLY = 8;
    private static final int OP_RAW = 9;

    private final URI uri;
    private final String authJson;
    private final Consumer<String> print;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "demo-ws-heartbeat");
        t.setDaemon(true);
        return t;
    });
    private volatile WebSocket socket;

    DemoWebSocketClient(URI uri, String authJson, Consumer<String> print) {
        this.uri = uri;
        this.authJson = authJson;
        this.print = print;
    }

    void connect() {
        HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(uri, this)
                .whenComplete((ws, error) -> {
                    if (error != null) {
                        print.accept("cannot connect to " + uri + ": " + error.getMessage());
                        return;
                    }
                    socket = ws;
                    ws.sendBinary(frame(OP_AUTH, authJson.getBytes(StandardCharsets.UTF_8)), true);
                    // Well within the heartbeat timeout that logic's Connect reply sets (30 s by default): a 30 s
                    // period, as goim's client.js uses, races it and gets the connection closed.
                    heartbeat.scheduleAtFixedRate(() -> ws.sendBinary(frame(OP_HEARTBEAT, new byte[0]), true),
                            10, 10, TimeUnit.SECONDS);
                });
    }

    static ByteBuffer frame(int op, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(HEADER + body.length);
        b.putInt(HEADER + body.length).putShort((short) HEADER).putShort((short) 1).putInt(op).putInt(0).put(body);
        return b.flip();
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
        byte[] chunk = new byte[data.remaining()];
        data.get(chunk);
        partial.writeBytes(chunk);
        if (last) {
            handle(ByteBuffer.wrap(partial.toByteArray()));
            partial.reset();
        }
        ws.request(1);
        return null;
    }

    private void handle(ByteBuffer b) {
        while (b.remaining() >= HEADER) {
            int packLen = b.getInt();
            int headerLen = b.getShort();
            b.getShort(); // ver
            int op = b.getInt();
            b.getInt(); // seq
            int bodyLen = packLen - headerLen;
            if (bodyLen < 0 || bodyLen > b.remaining()) {
                print.accept("malformed frame from server");
                return;
            }
            byte[] body = new byte[bodyLen];
            b.get(body);
            switch (op) {
                case OP_AUTH_REPLY -> print.accept("authenticated, joined room " + Demo.TOPIC);
                case OP_HEARTBEAT_REPLY -> { }
                case OP_RAW -> handle(ByteBuffer.wrap(body));
                default -> print.accept("received op " + op + ": " + new String(body, StandardCharsets.UTF_8));
            }
        }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
        print.accept("connection closed: " + statusCode + " " + reason);
        heartbeat.shutdownNow();
        return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
        print.accept("connection error: " + error.getMessage());
        heartbeat.shutdownNow();
    }

    @Override
    public void close() {
        heartbeat.shutdownNow();
        WebSocket ws = socket;
        if (ws != null) {
            ws.abort();
        }
    }
}
