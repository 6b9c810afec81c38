package dev.imcluster.broker.comet;

import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;

/**
 * Tells a gRPC call which of comet's event loops serves its HTTP/2 connection, so a topic subscriber can send on
 * that loop ({@link TopicSubscriber}). gRPC reports a connection ready ({@link #transportReady}) on the
 * connection's own event loop, where the loop is recorded in the transport's attributes; every call then finds
 * it in {@link #CURRENT}. Null when the call arrived another way (the subscriber then sends from the fan-out).
 */
final class TransportLoop extends ServerTransportFilter implements ServerInterceptor {
    static final Context.Key<EventLoop> CURRENT = Context.key("imcluster.eventLoop");
    private static final Attributes.Key<EventLoop> LOOP = Attributes.Key.create("imcluster.eventLoop");

    private final EventLoopGroup workers;

    TransportLoop(EventLoopGroup workers) {
        this.workers = workers;
    }

    @Override
    public Attributes transportReady(Attributes attributes) {
        EventLoop loop = current(workers);
        return loop == null ? attributes : attributes.toBuilder().set(LOOP, loop).build();
    }

    /** The loop of {@code workers} running the calling thread; null when it is none of them. */
    static EventLoop current(EventLoopGroup workers) {
        for (EventExecutor e : workers) {
            if (e instanceof EventLoop loop && loop.inEventLoop()) {
                return loop;
            }
        }
        return null;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        EventLoop loop = call.getAttributes().get(LOOP);
        if (loop == null) {
            return next.startCall(call, headers);
        }
        return Contexts.interceptCall(Context.current().withValue(CURRENT, loop), call, headers, next);
    }
}
