package dev.imcluster.broker.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Random;

/**
 * Raw bytes over a TCP socket to an HTTP server, for fuzzing: what the server answered (the status of its first
 * response, its whole body read by Content-Length), whether it closed the connection, and whether it did either
 * within the time allowed. No HTTP client library in between, so malformed requests reach the server as sent.
 */
public final class RawHttp implements AutoCloseable {

    /**
     * What came back: {@code status} -1 when nothing parseable did; {@code closing} when the response said
     * "Connection: close"; {@code hung} when neither an answer nor a close came.
     */
    public record Outcome(int status, boolean closing, boolean closed, boolean hung, long millis) {
        public boolean answered() {
            return status > 0;
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final long started = System.nanoTime();
    private boolean closedByServer;

    public RawHttp(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        out = socket.getOutputStream();
        in = socket.getInputStream();
    }

    /** Writes bytes; false when the server has already closed (reset) the connection. */
    public boolean send(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
            return true;
        } catch (IOException e) {
            closedByServer = true;
            return false;
        }
    }

    /**
     * Reads the server's first response (status line, headers, Content-Length body) or its close, for at most
     * {@code timeout}.
     */
    public Outcome response(Duration timeout) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + timeout.toNanos();
        int status = -1;
        boolean closing = false;
        try {
            int headerEnd = -1;
            int contentLength = 0;
            byte[] chunk = new byte[8192];
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return new Outcome(status, closing, false, true, elapsed());
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                int n = in.read(chunk);
                if (n < 0) {
                    closedByServer = true;
                    return new Outcome(status, closing, true, false, elapsed());
                }
                buf.write(chunk, 0, n);
                if (headerEnd < 0) {
                    String text = buf.toString(StandardCharsets.ISO_8859_1);
                    headerEnd = text.indexOf("\r\n\r\n");
                    if (headerEnd >= 0) {
                        status = parseStatus(text);
                        contentLength = contentLength(text.substring(0, headerEnd));
                        closing = text.substring(0, headerEnd).toLowerCase(Locale.ROOT)
                                .contains("\r\nconnection: close");
                    }
                }
                if (headerEnd >= 0 && buf.size() >= headerEnd + 4 + contentLength) {
                    return new Outcome(status, closing, false, false, elapsed());
                }
            }
        } catch (SocketTimeoutException e) {
            return new Outcome(status, closing, false, true, elapsed());
        } catch (IOException e) {
            closedByServer = true; // reset
            return new Outcome(status, closing, true, false, elapsed());
        }
    }

    /** Waits for the server to close the connection, discarding what it sends; true if it did within timeout. */
    public boolean awaitClose(Duration timeout) {
        if (closedByServer) {
            return true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] chunk = new byte[8192];
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                socket.setSoTimeout((int) Math.max(1, left / 1_000_000));
                if (in.read(chunk) < 0) {
                    closedByServer = true;
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            closedByServer = true;
            return true;
        }
    }

    private long elapsed() {
        return (System.nanoTime() - started) / 1_000_000;
    }

    private static int parseStatus(String text) {
        // "HTTP/1.1 404 Not Found"
        int sp = text.indexOf(' ');
        if (!text.startsWith("HTTP/") || sp < 0 || text.length() < sp + 4) {
            return -1;
        }
        try {
            return Integer.parseInt(text.substring(sp + 1, sp + 4));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static int contentLength(String headers) {
        for (String line : headers.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                try {
                    return Integer.parseInt(line.substring(15).trim());
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    // ---- building blocks for fuzzed requests ----

    public static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** A seed from {@code -D<property>=...} or the fixed default, printed so that a failure can be replayed. */
    public static long seed(String property, long fixed, String who) {
        long seed = Long.getLong(property, fixed);
        System.out.println(who + " seed " + seed + " (replay with -D" + property + "=" + seed + ")");
        return seed;
    }

    /** Random bytes, sometimes printable, sometimes with CR, LF and NUL mixed in. */
    public static byte[] garbage(Random rnd, int max) {
        byte[] b = new byte[1 + rnd.nextInt(max)];
        rnd.nextBytes(b);
        if (rnd.nextBoolean()) {
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) (32 + Math.floorMod(b[i], 95));
                if (rnd.nextInt(20) == 0) {
                    b[i] = (byte) "\r\n\0:"
                            .charAt(rnd.nextInt(4));
                }
            }
        }
        return b;
    }
}
