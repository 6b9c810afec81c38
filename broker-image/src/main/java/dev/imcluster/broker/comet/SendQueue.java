package dev.imcluster.broker.comet;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

/**
 * One connection's bounded send queue. Pushes from any thread go onto a lock-free stack; the first push onto an
 * empty stack marks this queue on its event loop's {@link LoopFlusher}, whose pass drains it: everything queued is
 * written, oldest first, with one flush. The bound is {@code comet.protocol.sendQueueSize} frames, counting both
 * this stack and Netty's outbound buffer; a client that falls further behind is disconnected as a slow consumer
 * ({@link Connection#slowConsumer}). An empty queue holds no buffers.
 */
final class SendQueue implements Runnable {
    private static final AtomicIntegerFieldUpdater<SendQueue> QUEUED =
            AtomicIntegerFieldUpdater.newUpdater(SendQueue.class, "queued");
    private static final AtomicReferenceFieldUpdater<SendQueue, Node> HEAD =
            AtomicReferenceFieldUpdater.newUpdater(SendQueue.class, Node.class, "head");

    private final Connection connection;
    private final CometContext comet;
    private final Transport transport;
    private Channel channel;
    /** The connection's context: drains write from here, past the pipeline's tail (nothing outbound is after it). */
    private ChannelHandlerContext ctx;
    private LoopFlusher flusher;
    /** WebSocket only: writes from here skip the goim-to-WebSocket wrapping (for pre-built messages). */
    private ChannelHandlerContext framesCtx;

    private volatile Node head;
    private volatile int queued;

    SendQueue(Connection connection, CometContext comet, Transport transport) {
        this.connection = connection;
        this.comet = comet;
        this.transport = transport;
    }

    /** Binds the queue to its channel; called once, on channelActive, before any push can reach it. */
    void attach(ChannelHandlerContext ctx) {
        this.channel = ctx.channel();
        this.ctx = ctx;
        this.flusher = comet.flusher(channel.eventLoop());
        this.framesCtx = ctx.pipeline().context(WebSocketFrames.class);
    }

    /**
     * Queues a view of a frame shared by many recipients (the caller keeps its reference). A Raw (op 9) frame
     * reaches TCP clients without its outer header, as goim's WriteTCP does; WebSocket clients get it whole, as
     * one pre-built binary message. Returns true when the frame was queued: the caller then adds it to the
     * queue-depth gauge, once per fan-out.
     */
    boolean pushShared(SharedFrame frame) {
        if (transport == Transport.TCP) {
            return push(frame.forTcp(), false);
        }
        return push(frame.forWebSocket(), true);
    }

    /**
     * Queues a frame (taking ownership) for this client; {@code webSocketFramed} when it already is a whole
     * WebSocket message, written past the goim-to-WebSocket wrapping.
     */
    private boolean push(ByteBuf frame, boolean webSocketFramed) {
        if (connection.closed()) {
            frame.release();
            comet.metrics.dropClosed.increment();
            return false;
        }
        if (QUEUED.incrementAndGet(this) > comet.sendQueueSize) {
            QUEUED.decrementAndGet(this);
            frame.release();
            comet.metrics.dropSlowConsumer.increment();
            connection.slowConsumer();
            return false;
        }
        Node node = new Node(frame, webSocketFramed);
        Node h;
        do {
            h = head;
            node.next = h;
        } while (!HEAD.compareAndSet(this, h, node));
        if (h == null) {
            flusher.mark(this);
        }
        return true;
    }

    /**
     * Drains the push stack onto the channel, oldest first, with one flush; once the connection is closed it only
     * releases what is queued. Event loop only.
     */
    @Override
    public void run() {
        Node h = HEAD.getAndSet(this, null);
        if (h == null) {
            return;
        }
        Node first = null;
        int n = 0;
        while (h != null) {
            Node next = h.next;
            h.next = first;
            first = h;
            h = next;
            n++;
        }
        QUEUED.addAndGet(this, -n);
        if (connection.closed() || !channel.isActive()) {
            for (Node x = first; x != null; x = x.next) {
                x.msg.release();
            }
            comet.metrics.queued.add(-n);
            comet.metrics.dropClosed.increment(n);
            return;
        }
        for (Node x = first; x != null; x = x.next) {
            if (x.webSocketFramed) {
                framesCtx.write(x.msg, ctx.voidPromise());
            } else {
                ctx.write(x.msg, ctx.voidPromise());
            }
        }
        ctx.flush();
        flusher.written(transport, n); // counted once per loop pass, not per connection
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        // A WebSocket frame may take two outbound entries (header and payload).
        int limit = transport == Transport.TCP ? comet.sendQueueSize : 2 * comet.sendQueueSize;
        if (out != null && !channel.isWritable() && out.size() > limit) {
            // Closing discards what the client has not taken: count it as dropped.
            comet.metrics.dropSlowConsumer.increment(transport == Transport.TCP ? out.size() : out.size() / 2);
            connection.slowConsumer();
        }
    }

    private static final class Node {
        final ByteBuf msg;
        final boolean webSocketFramed;
        Node next;

        Node(ByteBuf msg, boolean webSocketFramed) {
            this.msg = msg;
            this.webSocketFramed = webSocketFramed;
        }
    }
}
