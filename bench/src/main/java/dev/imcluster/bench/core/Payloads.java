package dev.imcluster.bench.core;

/**
 * A bench message: its send time (System.nanoTime of this JVM, which both publishes and subscribes), a flag
 * telling whether it was sent inside the measured window (not in warmup), then filler up to the message size.
 */
public final class Payloads {
    public static final int HEADER = 9;
    public static final byte WARMUP = 0;
    public static final byte MEASURED = 1;

    /** The filler of the last size asked for, per publisher thread, copied instead of rebuilt per message. */
    private static final ThreadLocal<byte[]> FILLER = ThreadLocal.withInitial(() -> new byte[0]);

    private Payloads() {
    }

    /** A message of {@code size} bytes (at least {@link #HEADER}) stamped now. */
    public static byte[] stamp(int size, boolean measured) {
        byte[] filler = FILLER.get();
        if (filler.length != Math.max(HEADER, size)) {
            filler = new byte[Math.max(HEADER, size)];
            for (int i = HEADER; i < filler.length; i++) {
                filler[i] = (byte) ('a' + (i % 26)); // printable, so HTTP/JSON paths carry it unchanged
            }
            FILLER.set(filler);
        }
        byte[] b = filler.clone();
        long now = System.nanoTime();
        for (int i = 7; i >= 0; i--) {
            b[i] = (byte) now;
            now >>>= 8;
        }
        b[8] = measured ? MEASURED : WARMUP;
        return b;
    }

    /** Reads the stamp of a message given as bytes. */
    public static long sentNanos(byte[] b) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[i] & 0xff);
        }
        return v;
    }
}
