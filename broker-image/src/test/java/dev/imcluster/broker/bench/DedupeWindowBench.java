package dev.imcluster.broker.bench;

import dev.imcluster.broker.comet.DedupeWindow;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-message dedupe check at comet's defaults (delivery.dedupe: maxIds 4,194,304, window 5m). {@code fresh}
 * offers new ids only (each made per call, as comet parses one per message): after the first 4,194,304 the
 * window is full, so every call also forgets the oldest id early, the worst case. {@code repeat} offers ids that
 * are all held (1,048,576 of them), the redelivery case.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
public class DedupeWindowBench {
    private static final int MAX_IDS = 1 << 22;
    private static final long WINDOW_NANOS = TimeUnit.MINUTES.toNanos(5);

    private final String[] held = new String[1 << 20];
    private DedupeWindow fresh;
    private DedupeWindow repeats;
    private long next;

    @Setup
    public void setup() {
        fresh = new DedupeWindow(MAX_IDS, WINDOW_NANOS);
        repeats = new DedupeWindow(MAX_IDS, WINDOW_NANOS);
        for (int i = 0; i < held.length; i++) {
            held[i] = UUID.randomUUID().toString();
            repeats.firstSeen(held[i]);
        }
    }

    @Benchmark
    public boolean fresh() {
        return fresh.firstSeen(Long.toString(next++, 36));
    }

    @Benchmark
    public boolean repeat() {
        return repeats.firstSeen(held[(int) (next++ & (held.length - 1))]);
    }

    /** Each thread makes its own ids. */
    @State(Scope.Thread)
    public static class Cursor {
        private static final AtomicInteger THREADS = new AtomicInteger();
        final String prefix = "t" + THREADS.getAndIncrement() + "-";
        long next;
    }

    @Benchmark
    @Threads(2)
    public boolean freshFromTwoThreads(Cursor cursor) {
        return fresh.firstSeen(cursor.prefix + Long.toString(cursor.next++, 36));
    }
}
