package dev.imcluster.broker.comet;

import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Batches the drains of many connections that share one event loop: a fan-out marks each connection that got a
 * frame, and the event loop runs ONE task that drains them all, instead of one task (and one wake-up) per
 * connection per push.
 */
final class LoopFlusher implements Runnable {
    private final EventLoop loop;
    private final CometMetrics metrics;
    /** Frames written during the current pass, by transport; published to the metrics once per pass. */
    private long writtenTcp;
    private long writtenWebSocket;
    private final Queue<Runnable> dirty = PlatformDependent.newMpscQueue();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    LoopFlusher(EventLoop loop, CometMetrics metrics) {
        this.loop = loop;
        this.metrics = metrics;
    }

    /** A connection drained by this pass wrote n frames (event loop only). */
    void written(Transport transport, int n) {
        if (transport == Transport.TCP) {
            writtenTcp += n;
        } else {
            writtenWebSocket += n;
        }
    }

    /** Any thread: the connection's drain will run on the loop soon. */
    void mark(Runnable queue) {
        dirty.offer(queue);
        if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
            loop.execute(this);
        }
    }

    @Override
    public void run() {
        while (true) {
            Runnable s;
            while ((s = dirty.poll()) != null) {
                s.run();
            }
            publish();
            scheduled.set(false);
            if (dirty.isEmpty() || !scheduled.compareAndSet(false, true)) {
                return;
            }
        }
    }

    private void publish() {
        long n = writtenTcp + writtenWebSocket;
        if (n == 0) {
            return;
        }
        metrics.queued.add(-n);
        if (writtenTcp > 0) {
            metrics.out(Transport.TCP).increment(writtenTcp);
        }
        if (writtenWebSocket > 0) {
            metrics.out(Transport.WEBSOCKET).increment(writtenWebSocket);
        }
        writtenTcp = 0;
        writtenWebSocket = 0;
    }
}
