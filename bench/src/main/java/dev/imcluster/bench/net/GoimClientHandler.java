package dev.imcluster.bench.net;

import dev.imcluster.bench.core.Deliveries;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * One goim-protocol TCP client: sends Auth (op 7) on connect, heartbeats (op 2) once authenticated, and reads
 * frames in place, without creating objects: op 9 Raw batches are walked frame by frame and every inner frame
 * of the bench's operation is reported to {@link Deliveries}.
 */
public final class GoimClientHandler extends ByteToMessageDecoder implements BenchClient {
    static final int HEADER = 16;
    static final int OP_HEARTBEAT = 2;
    static final int OP_HEARTBEAT_REPLY = 3;
    static final int OP_AUTH = 7;
    static final int OP_AUTH_REPLY = 8;
    static final int OP_RAW = 9;
    /** Larger than any frame comet sends (its maxBodySize is 4096 by default). */
    static final int MAX_PACK = 1 << 20;

    /** Counters shared by every client of a run. */
    public static final class Stats {
        public final LongAdder heartbeatsSent = new LongAdder();
        public final LongAdder heartbeatReplies = new LongAdder();
        public final LongAdder closedUnexpectedly = new LongAdder();
        public final LongAdder protocolErrors = new LongAdder();
    }

    private final byte[] authBody;
    private final int operation;
    private final long heartbeatMillis;
    private final Deliveries deliveries;
    private final Stats stats;
    private final CompletableFuture<Void> authenticated = new CompletableFuture<>();
    private ScheduledFuture<?> heartbeat;
    private volatile ChannelHandlerContext ctx;
    private volatile boolean closing;

    /**
     * @param operation the push operation the client accepts and reports (e.g. 1000)
     * @param key the connection key (pushes by key name it), or null for a generated one
     */
    public GoimClientHandler(long mid, String key, String roomId, int operation, long heartbeatMillis,
                             Deliveries deliveries, Stats stats) {
        String json = "{\"mid\":" + mid + (key == null ? "" : ",\"key\":\"" + key + "\"") + ",\"room_id\":\""
                + roomId + "\",\"platform\":\"bench\",\"accepts\":[" + operation + "]}";
        this.authBody = json.getBytes(StandardCharsets.UTF_8);
        this.operation = operation;
        this.heartbeatMillis = heartbeatMillis;
        this.deliveries = deliveries;
        this.stats = stats;
    }

    /** Completes when the Auth reply arrived; fails if the connection closes first. */
    @Override
    public CompletableFuture<Void> ready() {
        return authenticated;
    }

    /** Closes without counting it as unexpected. */
    @Override
    public void close() {
        closing = true;
        if (ctx != null) {
            ctx.close();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        ByteBuf auth = ctx.alloc().buffer(HEADER + authBody.length);
        writeHeader(auth, authBody.length, OP_AUTH, 1);
        auth.writeBytes(authBody);
        ctx.writeAndFlush(auth);
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.readableBytes() >= HEADER) {
            int start = in.readerIndex();
            int packLen = in.getInt(start);
            if (packLen < HEADER || packLen > MAX_PACK || in.getShort(start + 4) != HEADER) {
                stats.protocolErrors.increment();
                in.skipBytes(in.readableBytes());
                ctx.close();
                return;
            }
            if (in.readableBytes() < packLen) {
                return;
            }
            onFrame(ctx, in, in.getInt(start + 8), start + HEADER, packLen - HEADER);
            in.skipBytes(packLen);
        }
    }

    private void onFrame(ChannelHandlerContext ctx, ByteBuf in, int op, int body, int bodyLen) {
        if (op == OP_RAW) {
            int pos = body;
            int end = body + bodyLen;
            while (pos + HEADER <= end) {
                int len = in.getInt(pos);
                if (len < HEADER || pos + len > end) {
                    stats.protocolErrors.increment();
                    return;
                }
                if (in.getInt(pos + 8) == operation) {
                    deliveries.deliver(in, pos + HEADER, len - HEADER);
                }
                pos += len;
            }
        } else if (op == operation) {
            deliveries.deliver(in, body, bodyLen);
        } else if (op == OP_HEARTBEAT_REPLY) {
            stats.heartbeatReplies.increment();
        } else if (op == OP_AUTH_REPLY && !authenticated.isDone()) {
            authenticated.complete(null);
            if (heartbeatMillis > 0) {
                heartbeat = ctx.executor().scheduleAtFixedRate(() -> sendHeartbeat(ctx), heartbeatMillis,
                        heartbeatMillis, TimeUnit.MILLISECONDS);
            }
        }
    }

    private void sendHeartbeat(ChannelHandlerContext ctx) {
        ByteBuf hb = ctx.alloc().buffer(HEADER);
        writeHeader(hb, 0, OP_HEARTBEAT, 0);
        ctx.writeAndFlush(hb, ctx.voidPromise());
        stats.heartbeatsSent.increment();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
        if (!closing) {
            stats.closedUnexpectedly.increment();
        }
        authenticated.completeExceptionally(new IllegalStateException("connection closed before the Auth reply"));
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    static void writeHeader(ByteBuf out, int bodyLen, int op, int seq) {
        out.writeInt(HEADER + bodyLen);
        out.writeShort(HEADER);
        out.writeShort(1);
        out.writeInt(op);
        out.writeInt(seq);
    }
}
