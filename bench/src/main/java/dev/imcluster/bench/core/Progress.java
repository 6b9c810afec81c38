package dev.imcluster.bench.core;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * Owns the run's latency histogram: once a second it drains the recorder into it and prints one progress line
 * (rewritten in place on a terminal): elapsed, sent, delivered/s, p99 so far, errors.
 */
public final class Progress implements AutoCloseable {
    private final String label;
    private final Deliveries deliveries;
    private final LongAdder sent;
    private final LongAdder errors;
    private final PrintStream out;
    private final boolean terminal = System.console() != null;
    private final Histogram total = new Histogram(Deliveries.MAX_MICROS, 3);
    private final long startNanos = System.nanoTime();
    private final Thread thread;
    private volatile boolean running = true;
    private long lastDelivered;
    private long lastNanos = startNanos;

    public Progress(String label, Deliveries deliveries, LongAdder sent, LongAdder errors, PrintStream out) {
        this.label = label;
        this.deliveries = deliveries;
        this.sent = sent;
        this.errors = errors;
        this.out = out;
        this.thread = new Thread(this::loop, "bench-progress");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        while (running) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            if (running) {
                print(false);
            }
        }
    }

    private synchronized void print(boolean last) {
        drain();
        long now = System.nanoTime();
        long delivered = deliveries.all();
        double rate = (delivered - lastDelivered) * 1e9 / Math.max(1, now - lastNanos);
        lastDelivered = delivered;
        lastNanos = now;
        String line = String.format(Locale.ROOT, "[%s] %5.1fs sent=%d delivered/s=%.0f p99=%.2fms errors=%d",
                label, (now - startNanos) / 1e9, sent.sum(), rate,
                total.getTotalCount() == 0 ? 0.0 : total.getValueAtPercentile(99) / 1000.0, errors.sum());
        if (terminal) {
            out.print("\r" + line + "   " + (last ? "\n" : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }

    private void drain() {
        total.add(deliveries.recorder().getIntervalHistogram());
    }

    /** Stops the display and returns every latency recorded (microseconds). */
    public synchronized Histogram finish() {
        running = false;
        thread.interrupt();
        print(true);
        return total.copy();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
