package dev.imcluster.broker.comet;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.SocketAddress;

/**
 * The public gRPC API's side of {@link SourceAddressLimits}: every Subscribe stream is a client connection, so it
 * is admitted (or refused with RESOURCE_EXHAUSTED, before authentication is even looked at) and released when it
 * ends; every call carries its peer's address in {@link #REMOTE} for the publish limits.
 */
final class SourceAddressGate implements ServerInterceptor {
    /** The peer (address and port of the HTTP/2 connection) of the current call. */
    static final Context.Key<SocketAddress> REMOTE = Context.key("imcluster.remote");

    private final CometContext comet;

    SourceAddressGate(CometContext comet) {
        this.comet = comet;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        Context context = Context.current().withValue(REMOTE, remote);
        if (!PubSubService.SUBSCRIBE_ENCODED.getFullMethodName().equals(call.getMethodDescriptor().getFullMethodName())) {
            return Contexts.interceptCall(context, call, headers, next);
        }
        String refusal = comet.limits.admit(remote);
        if (refusal != null) {
            comet.limitLog.warn("refused a gRPC subscriber from {}: {} ({})", remote, refusal,
                    SourceAddressLimits.setting(refusal));
            call.close(Status.RESOURCE_EXHAUSTED.withDescription(refusal + " (" + SourceAddressLimits.setting(refusal)
                    + "); retry later"), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        ServerCall.Listener<Q> listener;
        try {
            listener = Contexts.interceptCall(context, call, headers, next);
        } catch (RuntimeException e) {
            comet.limits.release(remote);
            throw e;
        }
        // gRPC ends every call with exactly one of onComplete and onCancel.
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onComplete() {
                comet.limits.release(remote);
                super.onComplete();
            }

            @Override
            public void onCancel() {
                comet.limits.release(remote);
                super.onCancel();
            }
        };
    }
}
