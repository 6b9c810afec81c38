package dev.imcluster.broker.bench;

import dev.imcluster.broker.comet.DedupeWindow;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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

/** The per-message dedupe check at comet's default size (65,536 ids), with fresh ids evicting old ones. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class DedupeWindowBench {
    private final String[] ids = new String[1 << 20];
    private DedupeWindow window;
    private int next;

    @Setup
    public void setup() {
        for (int i = 0; i < ids.length; i++) {
            ids[i] = UUID.randomUUID().toString();
        }
        window = new DedupeWindow(65_536, TimeUnit.MINUTES.toNanos(5));
    }

    @Benchmark
    public boolean firstSeen() {
        return window.firstSeen(ids[next++ & (ids.length - 1)]);
    }

    /** Each thread walks its own part of the ids. */
    @State(Scope.Thread)
    public static class Cursor {
        private static final java.util.concurrent.atomic.AtomicInteger THREADS = new java.util.concurrent.atomic.AtomicInteger();
        int next = THREADS.getAndIncrement() << 18;
    }

    @Benchmark
    @Threads(2)
    public boolean firstSeenFromTwoThreads(Cursor cursor) {
        return window.firstSeen(ids[cursor.next++ & (ids.length - 1)]);
    }
}
