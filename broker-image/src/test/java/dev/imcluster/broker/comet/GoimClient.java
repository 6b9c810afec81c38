package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.imcluster.broker.protocol.Op;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The tests' goim-protocol client, written from the spec (16-byte big-endian header, then the body), over TCP or
 * over WebSocket binary messages (the JDK's client), as goim's own clients behave: on TCP a Raw push arrives as the
 * inner frames themselves, on WebSocket as one op 9 message holding them. Raw frames can be sent as they are (for
 * malformed input), and imcluster's resume extension is read by {@link ResumableStream}.
 */
abstract class GoimClient implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A frame as received. */
    record Received(int packLen, int headerLen, int ver, int op, int seq, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("op " + op + " body is not JSON: " + text(), e);
            }
        }

        int intBody() {
            assertThat(body).hasSize(4);
            return ByteBuffer.wrap(body).getInt();
        }

        /** The frames inside a Raw (op 9) body. */
        List<Received> inner() {
            return parseAll(body);
        }
    }

    final BlockingQueue<Received> frames = new LinkedBlockingQueue<>();
    volatile boolean closed;
    /** The inner frames of a Raw frame that {@link #nextUnwrapped} has not handed out yet. */
    private final ArrayDeque<Received> unwrapped = new ArrayDeque<>();

    static GoimClient connect(Transport transport, int port) {
        return transport == Transport.TCP ? new Tcp(port).reading() : new Ws(port);
    }

    /** A goim TCP client of the comet at {@code host} (a test host's address). */
    static GoimClient connect(String host, int port) {
        return new Tcp(host, port, 0).reading();
    }

    abstract Transport transport();

    /** Sends bytes as they are: on TCP into the stream, on WebSocket as one binary message. */
    abstract void sendBytes(byte[] bytes);

    static byte[] frame(int ver, int op, int seq, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(16 + body.length);
        b.putInt(16 + body.length).putShort((short) 16).putShort((short) ver).putInt(op).putInt(seq).put(body);
        return b.array();
    }

    void send(int op, int seq, String body) {
        sendBytes(frame(1, op, seq, body.getBytes(StandardCharsets.UTF_8)));
    }

    /** Sends Auth with this JSON body and waits for the reply (op 8, echoing seq). */
    GoimClient auth(String json) {
        send(7, 1, json);
        Received reply = expect(8);
        assertThat(reply.seq()).isEqualTo(1);
        assertThat(reply.body()).isEmpty();
        return this;
    }

    /** Sends a heartbeat and returns the online count of the reply. */
    int heartbeat() {
        send(2, 77, "");
        Received reply = expect(3);
        assertThat(reply.seq()).isEqualTo(77);
        return reply.intBody();
    }

    /** The next frame of this op; frames of other ops before it are discarded. */
    Received expect(int op) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Received r;
            try {
                r = frames.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            if (r == null) {
                throw new AssertionError("no frame with op " + op + " within " + WAIT + " (closed=" + closed + ")");
            }
            if (r.op() == op) {
                return r;
            }
        }
    }

    /**
     * The next pushed batch of n messages: on WebSocket one Raw (op 9) message whose body holds them, on TCP the
     * n frames themselves (goim writes a Raw body to TCP without the outer header).
     */
    List<Received> expectPushes(int n) {
        if (transport() == Transport.WEBSOCKET) {
            Received raw = expect(9);
            assertThat(raw.headerLen()).isEqualTo(16);
            List<Received> inner = raw.inner();
            assertThat(inner).hasSize(n);
            return inner;
        }
        List<Received> out = new ArrayList<>();
        while (out.size() < n) {
            Received r = next();
            if (r.op() >= 1000 || r.op() == 9) {
                out.add(r);
            }
        }
        return out;
    }

    Received expectPush() {
        return expectPushes(1).get(0);
    }

    Received next() {
        try {
            Received r = frames.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            if (r == null) {
                throw new AssertionError("no frame within " + WAIT + " (closed=" + closed + ")");
            }
            return r;
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** The next frame, a Raw frame's inner frames one by one (as an application sees them). */
    Received nextUnwrapped() {
        if (unwrapped.isEmpty()) {
            Received r = next();
            if (r.op() == Op.RAW) {
                unwrapped.addAll(r.inner());
            } else {
                unwrapped.add(r);
            }
        }
        return unwrapped.poll();
    }

    /** True when nothing more arrives within half a second. */
    boolean quiet() throws InterruptedException {
        return unwrapped.isEmpty() && frames.poll(500, TimeUnit.MILLISECONDS) == null;
    }

    /** The texts of the pushes (op >= 1000) received since the last call, Raw frames unwrapped. */
    List<String> drainPushes() {
        List<Received> received = new ArrayList<>(unwrapped);
        unwrapped.clear();
        List<Received> drained = new ArrayList<>();
        frames.drainTo(drained);
        drained.forEach(r -> received.addAll(r.op() == Op.RAW ? r.inner() : List.of(r)));
        return received.stream().filter(r -> r.op() >= 1000).map(Received::text).toList();
    }

    /** Opts in to position marks (POSITIONS); returns once comet handled it (a heartbeat's reply comes after). */
    GoimClient positions() {
        send(Op.POSITIONS, 0, "");
        heartbeat();
        return this;
    }

    void awaitClosed() {
        await().atMost(WAIT).until(() -> closed);
    }

    @Override
    public abstract void close();

    /**
     * What a client opted in to position marks received across its connections (docs/GOIM-RESUME.md): the pushed
     * messages, each batch's mark checked as it comes (it follows a batch, never another mark; it is of the room;
     * within an epoch it grows), RESUME's replies, and the last mark, from which it resumes on a new connection.
     */
    static final class ResumableStream {
        final String room;
        final List<Received> messages = new ArrayList<>();
        final List<JsonNode> resumeReplies = new ArrayList<>();
        private GoimClient client;
        private JsonNode lastMark;
        private boolean markDue;

        ResumableStream(String room, GoimClient client) {
            this.room = room;
            this.client = client;
        }

        GoimClient client() {
            return client;
        }

        JsonNode lastMark() {
            return lastMark;
        }

        /** Sends RESUME (with {@code seq}) on {@code next} from the last mark; reads on from {@code next}. */
        void resumeOn(GoimClient next, int seq) {
            client = next;
            client.send(Op.RESUME, seq, resumeBody(lastMark));
        }

        static String resumeBody(JsonNode mark) {
            return "{\"room\":" + mark.get("room") + ",\"offset\":" + mark.get("offset") + ",\"epoch\":"
                    + mark.get("epoch") + "}";
        }

        static long offset(JsonNode mark) {
            return Long.parseUnsignedLong(mark.get("offset").asText());
        }

        /** Takes one frame (a Raw's inner frames one by one) into this record and returns it. */
        Received take() {
            Received r = client.nextUnwrapped();
            if (r.op() == Op.POSITION_MARK) {
                JsonNode mark = r.json();
                assertThat(markDue).as("a mark follows a batch, never another mark: %s", mark).isTrue();
                assertThat(mark.get("room").asText()).isEqualTo(room);
                assertThat(mark.get("epoch").asText()).isNotEmpty();
                if (lastMark != null && lastMark.get("epoch").equals(mark.get("epoch"))) {
                    assertThat(offset(mark)).as("marks grow").isGreaterThan(offset(lastMark));
                }
                lastMark = mark;
                markDue = false;
            } else if (r.op() == Op.RESUME_REPLY) {
                resumeReplies.add(r.json());
            } else if (r.op() >= 1000) {
                messages.add(r);
                markDue = true;
            }
            return r;
        }

        /** Takes frames until {@code count} messages are held and the last batch's mark came. */
        void takeUntil(int count) {
            while (messages.size() < count || markDue) {
                take();
            }
        }

        /** Takes frames until the message {@code payload} and its mark came. */
        void takeThrough(String payload) {
            do {
                take();
            } while (messages.isEmpty() || !messages.get(messages.size() - 1).text().equals(payload) || markDue);
        }

        /** Takes frames until RESUME's reply came; returns it. */
        JsonNode takeResumeReply() {
            while (resumeReplies.isEmpty()) {
                take();
            }
            return resumeReplies.get(0);
        }

        List<String> payloads() {
            return messages.stream().map(Received::text).toList();
        }
    }

    static List<Received> parseAll(byte[] bytes) {
        List<Received> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.remaining() >= 16) {
            int packLen = b.getInt();
            int headerLen = b.getShort();
            int ver = b.getShort();
            int op = b.getInt();
            int seq = b.getInt();
            byte[] body = new byte[packLen - headerLen];
            b.get(body);
            out.add(new Received(packLen, headerLen, ver, op, seq, body));
        }
        assertThat(b.remaining()).as("trailing bytes after the last frame").isZero();
        return out;
    }

    static final class Tcp extends GoimClient {
        final Socket socket;
        private final OutputStream out;

        Tcp(int port) {
            this(port, 0);
        }

        /** Over a socket already connected (a TLS one, say). */
        Tcp(Socket connected) {
            try {
                socket = connected;
                out = socket.getOutputStream();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        /** With a small receive buffer, for a client that stops reading. */
        Tcp(int port, int receiveBuffer) {
            this("127.0.0.1", port, receiveBuffer);
        }

        Tcp(String host, int port, int receiveBuffer) {
            try {
                socket = new Socket();
                if (receiveBuffer > 0) {
                    socket.setReceiveBufferSize(receiveBuffer);
                }
                socket.connect(new InetSocketAddress(host, port), 10_000);
                out = socket.getOutputStream();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        Transport transport() {
            return Transport.TCP;
        }

        /** Starts the reader; not started for a client that must not read. */
        Tcp reading() {
            Thread t = new Thread(this::readLoop, "goim-tcp-client");
            t.setDaemon(true);
            t.start();
            return this;
        }

        private void readLoop() {
            try (DataInputStream in = new DataInputStream(socket.getInputStream())) {
                while (true) {
                    int packLen = in.readInt();
                    int headerLen = in.readShort();
                    int ver = in.readShort();
                    int op = in.readInt();
                    int seq = in.readInt();
                    byte[] body = new byte[packLen - headerLen];
                    in.readFully(body);
                    frames.add(new Received(packLen, headerLen, ver, op, seq, body));
                }
            } catch (IOException e) {
                closed = true;
            }
        }

        @Override
        void sendBytes(byte[] bytes) {
            try {
                out.write(bytes);
                out.flush();
            } catch (IOException e) {
                throw new AssertionError("write failed", e);
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    static final class Ws extends GoimClient implements WebSocket.Listener {
        private final WebSocket ws;
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

        Ws(int port) {
            this(HttpClient.newHttpClient(), URI.create("ws://127.0.0.1:" + port + "/sub"));
        }

        /** To any URI (wss://, say) with this client. */
        Ws(HttpClient client, URI uri) {
            ws = client.newWebSocketBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(uri, this)
                    .join();
        }

        @Override
        Transport transport() {
            return Transport.WEBSOCKET;
        }

        @Override
        void sendBytes(byte[] bytes) {
            ws.sendBinary(ByteBuffer.wrap(bytes), true).join();
        }

        void sendText(String text) {
            ws.sendText(text, true).join();
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            partial.writeBytes(chunk);
            if (last) {
                List<Received> one = parseAll(partial.toByteArray());
                assertThat(one).as("one goim frame per WebSocket message").hasSize(1);
                frames.add(one.get(0));
                partial.reset();
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed = true;
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed = true;
        }

        @Override
        public void close() {
            ws.abort();
        }
    }
}
