package dev.imcluster.bench.core;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * Where every subscriber reports a received message. Thread-safe and allocation-free: counters are LongAdders and
 * latency goes into an HdrHistogram {@link Recorder} (wait-free for writers), read by one progress thread.
 */
public final class Deliveries {
    /** Latencies above this are clamped (and still counted). */
    static final long MAX_MICROS = 60_000_000L;

    private final LongAdder all = new LongAdder();
    private final LongAdder measured = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private final Recorder latencyMicros = new Recorder(MAX_MICROS, 3);

    /** A message whose body is at {@code offset} of {@code buf}, {@code len} bytes long (not consumed). */
    public void deliver(ByteBuf buf, int offset, int len) {
        if (len < Payloads.HEADER) {
            malformed.increment();
            return;
        }
        record(buf.getLong(offset), buf.getByte(offset + 8));
    }

    /** A message whose first bytes were already read: its send time and its measured flag. */
    public void record(long sentNanos, byte flag) {
        all.increment();
        if (flag == Payloads.MEASURED) {
            measured.increment();
            long micros = (System.nanoTime() - sentNanos) / 1000;
            latencyMicros.recordValue(Math.max(0, Math.min(micros, MAX_MICROS)));
        }
    }

    public long all() {
        return all.sum();
    }

    public long measured() {
        return measured.sum();
    }

    public long malformed() {
        return malformed.sum();
    }

    Recorder recorder() {
        return latencyMicros;
    }
}
