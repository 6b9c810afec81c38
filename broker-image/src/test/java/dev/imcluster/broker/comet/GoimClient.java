package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A goim-protocol client written from the spec (16-byte big-endian header, then the body), over TCP or over
 * WebSocket binary messages (the JDK's client), as goim's own clients behave: on TCP a Raw push arrives as the
 * inner frames themselves, on WebSocket as one op 9 message holding them.
 */
abstract class GoimClient implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(20);

    /** A frame as received. */
    record Received(int packLen, int headerLen, int ver, int op, int seq, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
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

    void awaitClosed() {
        await().atMost(WAIT).until(() -> closed);
    }

    @Override
    public abstract void close();

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
