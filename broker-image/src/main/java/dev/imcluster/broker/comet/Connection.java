package dev.imcluster.broker.comet;

import dev.imcluster.broker.api.internal.ConnectReply;
import dev.imcluster.broker.api.internal.ReceiveReply;
import dev.imcluster.broker.protocol.Frame;
import dev.imcluster.broker.protocol.FrameCodec;
import dev.imcluster.broker.protocol.Op;
import dev.imcluster.broker.protocol.ProtocolException;
import dev.imcluster.broker.security.Permissions;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Over 300 lines: goim's protocol state machine (Auth, heartbeats, rooms, Sub/Unsub, upstream) shares its state
 * on one event loop; the send queue, the watched operations and the calls to logic live in their own classes.
 *
 * <p>One goim-protocol connection (goim's Channel), TCP or WebSocket: its protocol state machine (Auth first, then
 * heartbeats, room changes, op subscriptions and upstream messages). What it sends waits in its
 * {@link SendQueue}; the operations it accepts are its {@link OperationWatch}; what logic knows of it, and the
 * calls to logic for it, are its {@link LogicSession}.
 *
 * <p>Threading: everything except {@link #pushShared}, {@link #deliver} and {@link #accepts} runs on the
 * channel's event loop. An idle connection holds no buffers.
 */
final class Connection extends ChannelInboundHandlerAdapter implements RoomMember {
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
    private static final int NEW = 0;
    private static final int AUTHENTICATING = 1;
    private static final int AUTHED = 2;
    private static final int CLOSED = 3;
    /** Frames a client may pipeline behind its Auth before logic answers. */
    private static final int MAX_PENDING_DURING_AUTH = 16;
    /** Upstream messages (Receive calls) in flight before comet stops reading from this client. */
    private static final int MAX_RECEIVES_IN_FLIGHT = 16;
    /** Reply bodies to an upstream frame refused by a publish rate limit (goim replies carry no status). */
    private static final byte[] CONNECTION_RATE_LIMITED_BODY = rateLimitedBody("comet.publishRateLimit");
    private static final byte[] ADDRESS_RATE_LIMITED_BODY = rateLimitedBody("comet.publishRateLimitPerAddress");

    private final CometContext comet;
    private final Transport transport;
    private final Runnable timeoutCheck = this::checkTimeout;
    private final SendQueue queue;
    private final OperationWatch watch = new OperationWatch();
    private final LogicSession logic;
    private Channel channel;

    private volatile int state = NEW;
    private volatile String closeReason;
    private boolean counted;
    private volatile String roomId = "";
    private Bucket bucket;
    private String cookie = "";

    private long lastFrameNanos;
    private long timeoutNanos;
    private ScheduledFuture<?> timer;
    private ArrayDeque<Frame> pendingDuringAuth;
    private int receivesInFlight;
    /** What the client's token permits (from logic's Connect reply); everything until then and in goim mode. */
    private Permissions permissions = Permissions.ALL;
    /** Set once the client opts in to positions (POSITIONS or RESUME); null for goim's own clients. */
    private volatile ConnectionPositions positions;

    Connection(CometContext comet, Transport transport) {
        this.comet = comet;
        this.transport = transport;
        this.queue = new SendQueue(this, comet, transport);
        this.logic = new LogicSession(comet);
    }

    String key() {
        return logic.key();
    }

    long mid() {
        return logic.mid();
    }

    String roomId() {
        return roomId;
    }

    /** True when key pushes and broadcasts of this operation reach this connection (goim's NeedPush). */
    boolean accepts(int op) {
        return watch.accepts(op);
    }

    // ---- lifecycle ----

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        queue.attach(ctx);
        if (comet.shuttingDown() || comet.atConnectionLimit()) {
            if (!comet.shuttingDown()) {
                comet.limitLog.warn("refused a {} connection from {}: comet.maxConnections ({}) reached", transport,
                        channel.remoteAddress(), comet.config.maxConnections);
            }
            close(comet.shuttingDown() ? "draining" : "max_connections"); // published reason labels
            comet.metrics.disconnect(closeReason);
            return;
        }
        counted = true;
        comet.metrics.connections(transport).incrementAndGet();
        comet.clients.add(channel);
        lastFrameNanos = System.nanoTime();
        timeoutNanos = comet.handshakeTimeoutNanos;
        timer = channel.eventLoop().schedule(timeoutCheck, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        int was = state;
        state = CLOSED;
        if (timer != null) {
            timer.cancel(false);
        }
        if (!counted) {
            return;
        }
        comet.metrics.connections(transport).decrementAndGet();
        comet.metrics.disconnect(closeReason == null ? "client_closed" : closeReason);
        if (pendingDuringAuth != null) {
            pendingDuringAuth.forEach(Frame::release);
            pendingDuringAuth = null;
        }
        queue.run(); // releases whatever is still queued
        ConnectionPositions p = positions;
        if (p != null) {
            p.forgetRoom();
        }
        if (was == AUTHED) {
            bucket.remove(this);
            if (!roomId.isEmpty()) {
                bucket.leave(roomId, this);
            }
            if (!"replaced".equals(closeReason)) {
                // A replaced connection's key now belongs to its successor on this comet: logic keeps it.
                logic.disconnect();
            }
        }
    }

    /** Closes this connection; the first reason given is the one counted. Any thread. */
    void close(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        if (channel != null) {
            channel.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete hs) {
            String c = hs.requestHeaders().get(HttpHeaderNames.COOKIE);
            cookie = c == null ? "" : c;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String tls = TlsFailure.describe(cause);
        if (tls != null) {
            protocolError("tls", tls); // never cause.toString(): a plaintext record may hold the Auth token
            return;
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof ProtocolException pe) {
                protocolError(pe.reason(), pe.getMessage());
                return;
            }
            if (t instanceof CorruptedWebSocketFrameException) {
                protocolError("websocket", t.getMessage());
                return;
            }
            if (t instanceof WebSocketHandshakeException) {
                protocolError("websocket_handshake", t.getMessage());
                return;
            }
        }
        if (cause instanceof IOException) {
            LOG.debug("{} connection from {} failed: {}", transport.tag, channel.remoteAddress(), cause.toString());
            close("io_error");
        } else {
            comet.protocolLog.warn("closing {} connection from {} after an unexpected error: {}", transport.tag,
                    channel.remoteAddress(), cause.toString());
            close("error");
        }
    }

    void protocolError(String reason, String message) {
        if (state == CLOSED) {
            return;
        }
        comet.metrics.protocolError(reason);
        comet.protocolLog.warn("closing {} connection from {} (key {}): protocol error {}: {}", transport.tag,
                channel.remoteAddress(), logic.key(), reason, message);
        close("protocol_error");
    }

    private void checkTimeout() {
        if (state == CLOSED) {
            return;
        }
        long idle = System.nanoTime() - lastFrameNanos;
        if (idle < timeoutNanos) {
            timer = channel.eventLoop().schedule(timeoutCheck, timeoutNanos - idle, TimeUnit.NANOSECONDS);
            return;
        }
        String reason = state == AUTHED ? "heartbeat_timeout" : "handshake_timeout";
        protocolError(reason, "no complete frame for " + TimeUnit.NANOSECONDS.toMillis(idle) + " ms");
    }

    // ---- inbound ----

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof Frame frame)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        if (closeReason != null) {
            frame.release(); // closing: nothing more from this client counts
            return;
        }
        lastFrameNanos = System.nanoTime();
        switch (state) {
            case NEW -> {
                if (frame.op() != Op.AUTH) {
                    frame.release();
                    protocolError("not_auth", "first frame has op " + frame.op() + ", expected Auth (7)");
                    return;
                }
                try {
                    startAuth(frame);
                } finally {
                    frame.release();
                }
            }
            case AUTHENTICATING -> {
                if (pendingDuringAuth == null) {
                    pendingDuringAuth = new ArrayDeque<>(4);
                }
                if (pendingDuringAuth.size() >= MAX_PENDING_DURING_AUTH) {
                    frame.release();
                    protocolError("auth_pending", "more than " + MAX_PENDING_DURING_AUTH
                            + " frames sent before the Auth reply");
                    return;
                }
                pendingDuringAuth.add(frame);
            }
            case AUTHED -> {
                try {
                    operate(frame);
                } finally {
                    frame.release();
                }
            }
            default -> frame.release();
        }
    }

    private void startAuth(Frame frame) {
        state = AUTHENTICATING;
        int ver = frame.ver();
        int seq = frame.seq();
        logic.connect(cookie, frame, channel.remoteAddress())
                .whenCompleteAsync((reply, err) -> onConnect(reply, err, ver, seq), channel.eventLoop());
    }

    private void onConnect(ConnectReply reply, Throwable err, int ver, int seq) {
        if (err != null) {
            comet.metrics.authFailure(LogicSession.failureReason(err));
            if (state != CLOSED) {
                // Never log the token: only logic's status says why.
                comet.authLog.warn("auth of {} connection from {} refused: logic Connect returned {}", transport.tag,
                        channel.remoteAddress(), LogicSession.describe(err));
                close("auth_failed");
            }
            return;
        }
        logic.connected(reply);
        if (state == CLOSED) {
            logic.disconnect(); // the client left while logic was recording it
            return;
        }
        watch.set(reply.getAcceptsList());
        if (reply.hasPermissions()) {
            permissions = Permissions.of(reply.getPermissions().getSubscribeList(),
                    reply.getPermissions().getPublishList());
        }
        // A room the token does not permit: authenticated all the same, in no room; the Auth reply says why.
        byte[] refusal = refusal(Permissions.Action.JOIN, reply.getRoomId(), "");
        roomId = refusal == null ? reply.getRoomId() : "";
        bucket = comet.buckets.forKey(logic.key());
        Connection replaced = bucket.put(this);
        if (replaced != null && replaced != this) {
            replaced.close("replaced");
        }
        if (!roomId.isEmpty()) {
            bucket.join(roomId, this);
        }
        state = AUTHED;
        cookie = null;
        long now = System.nanoTime();
        timeoutNanos = reply.getHeartbeat() > 0 ? TimeUnit.SECONDS.toNanos(reply.getHeartbeat())
                : comet.heartbeatTimeoutNanos;
        lastFrameNanos = now;
        logic.renewFrom(now);
        write(FrameCodec.encode(comet.alloc, ver, Op.AUTH_REPLY, seq, refusal));
        ArrayDeque<Frame> pending = pendingDuringAuth;
        pendingDuringAuth = null;
        if (pending != null) {
            for (Frame f; (f = pending.poll()) != null; ) {
                try {
                    if (state == AUTHED) {
                        operate(f);
                    }
                } finally {
                    f.release();
                }
            }
        }
    }

    private void operate(Frame frame) {
        switch (frame.op()) {
            case Op.HEARTBEAT -> {
                String room = roomId;
                int online = room.isEmpty() ? 0 : comet.buckets.online(room);
                write(FrameCodec.heartbeatReply(comet.alloc, frame.ver(), frame.seq(), online));
                logic.renewIfDue();
            }
            case Op.CHANGE_ROOM -> {
                byte[] refusal = refusal(Permissions.Action.CHANGE_ROOM, frame.bodyAsString(), roomId);
                if (refusal != null) {
                    // Stays in its room; the reply says why instead of echoing the room (see docs/SECURITY.md).
                    write(FrameCodec.encode(comet.alloc, frame.ver(), Op.CHANGE_ROOM_REPLY, frame.seq(), refusal));
                    return;
                }
                ConnectionPositions p = positions;
                if (p != null) {
                    p.forgetRoom();
                }
                changeRoom(frame.bodyAsString());
                reply(frame.ver(), Op.CHANGE_ROOM_REPLY, frame.seq(), frame.body());
            }
            case Op.SUB -> {
                watch.watch(frame.bodyAsString());
                reply(frame.ver(), Op.SUB_REPLY, frame.seq(), frame.body());
            }
            case Op.UNSUB -> {
                watch.unwatch(frame.bodyAsString());
                reply(frame.ver(), Op.UNSUB_REPLY, frame.seq(), frame.body());
            }
            case Op.POSITIONS -> positions();
            case Op.RESUME -> resume(frame);
            default -> receive(frame);
        }
    }

    private ConnectionPositions positions() {
        ConnectionPositions p = positions;
        if (p == null) {
            p = new ConnectionPositions(this, comet);
            positions = p;
        }
        return p;
    }

    /**
     * RESUME (imcluster's extension): joins the room and replays what the client missed after its position, then
     * the live stream (see {@link ConnectionPositions}). A body that is not a position closes this connection.
     */
    private void resume(Frame frame) {
        PositionFrames.Resume request;
        try {
            request = PositionFrames.parseResume(frame.bodyAsString());
        } catch (IllegalArgumentException e) {
            protocolError("bad_resume", "RESUME (op " + Op.RESUME + ") body " + e.getMessage());
            return;
        }
        if (!comet.metrics.permissions.allows(permissions, Permissions.Action.RESUME, request.room(), who())) {
            // Stays in its room, with its positions as they were.
            write(PositionFrames.resumeDenied(comet.alloc, frame.ver(), frame.seq(),
                    Permissions.denial(Permissions.Action.RESUME, request.room()), roomId));
            return;
        }
        ConnectionPositions p = positions();
        if (p.resuming()) {
            protocolError("bad_resume", "RESUME (op " + Op.RESUME + ") before the previous one's RESUME_REPLY");
            return;
        }
        // Hold before joining: a live message reaching the client before its replay would break the order.
        ConnectionPositions.Resuming r = p.startResume(request.room(), frame.ver(), frame.seq());
        changeRoom(request.room());
        HistoryReplay.read(comet, request.room(), request.since(), null)
                .thenAcceptAsync(replay -> p.finishResume(r, replay), channel.eventLoop());
    }

    /**
     * Null when the token permits joining {@code room} (or it is empty: leaving); otherwise the reply body that
     * refuses it (the refusal is counted and logged), {@code current} being the room the connection stays in.
     */
    private byte[] refusal(Permissions.Action action, String room, String current) {
        if (room.isEmpty() || comet.metrics.permissions.allows(permissions, action, room, who())) {
            return null;
        }
        return PositionFrames.permissionDenied(Permissions.denial(action, room), current);
    }

    /** This client in a refusal's log line. */
    private String who() {
        return transport.tag + " client " + channel.remoteAddress() + " (key " + logic.key() + ")";
    }

    private void changeRoom(String newRoom) {
        String old = roomId;
        if (old.equals(newRoom)) {
            return;
        }
        if (!old.isEmpty()) {
            bucket.leave(old, this);
        }
        roomId = newRoom;
        if (!newRoom.isEmpty()) {
            bucket.join(newRoom, this);
        }
    }

    /** Any op comet does not handle itself goes upstream to logic's Receive (goim's Operate default). */
    private void receive(Frame frame) {
        comet.metrics.inClient.increment();
        int ver = frame.ver();
        int op = frame.op();
        int seq = frame.seq();
        // Keyed by the peer's address and port: unique to this connection while it is open.
        String refusal = comet.limits.tryPublish(String.valueOf(channel.remoteAddress()), channel.remoteAddress());
        if (refusal != null) {
            // Not forwarded; the reply says why, and the connection stays (a burst is not a protocol error).
            comet.limitLog.warn("refused an upstream frame (op {}) from {} (key {}): {}", op, channel.remoteAddress(),
                    logic.key(), refusal);
            write(FrameCodec.encode(comet.alloc, ver, op == Op.SEND_MSG ? Op.SEND_MSG_REPLY : op, seq,
                    SourceAddressLimits.CONNECTION_RATE_LIMITED.equals(refusal)
                            ? CONNECTION_RATE_LIMITED_BODY : ADDRESS_RATE_LIMITED_BODY));
            return;
        }
        CompletableFuture<ReceiveReply> received = logic.receive(frame);
        receivesInFlight++;
        updateAutoRead();
        received.whenCompleteAsync((r, err) -> {
            receivesInFlight--;
            if (err != null) {
                comet.metrics.logicError("receive");
                comet.logicLog.warn("logic Receive failed for key {} op {}: {}", logic.key(), op,
                        LogicSession.describe(err));
            }
            if (state == AUTHED) {
                reply(ver, op == Op.SEND_MSG ? Op.SEND_MSG_REPLY : op, seq, null);
                updateAutoRead();
            }
        }, channel.eventLoop());
    }

    private static byte[] rateLimitedBody(String setting) {
        return ("{\"code\":429,\"message\":\"rate limited (" + setting + ")\"}").getBytes(
                java.nio.charset.StandardCharsets.UTF_8);
    }

    private void reply(int ver, int op, int seq, ByteBuf body) {
        write(FrameCodec.encode(comet.alloc, ver, op, seq, body));
    }

    /** Writes a reply on the event loop; a client that does not read its replies is no longer read either. */
    private void write(ByteBuf frame) {
        channel.writeAndFlush(frame, channel.voidPromise());
        if (!channel.isWritable()) {
            updateAutoRead();
        }
    }

    /**
     * Reads from the client only while it reads our replies (the channel is writable) and logic keeps up with
     * its upstream messages: the two ways a client could otherwise make comet buffer without bound.
     */
    private void updateAutoRead() {
        boolean read = channel.isWritable() && receivesInFlight < MAX_RECEIVES_IN_FLIGHT;
        if (channel.config().isAutoRead() != read) {
            channel.config().setAutoRead(read);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateAutoRead();
        ctx.fireChannelWritabilityChanged();
    }

    // ---- outbound (any thread) ----

    /** A room batch: TCP clients get the inner frames as goim writes them, WebSocket clients the Raw frame. */
    @Override
    public int deliver(RoomBatch batch) {
        if (batch.clientMessages == 0) {
            return 0; // presence events only: not for goim clients
        }
        ConnectionPositions p = positions;
        if (p != null) {
            return p.deliver(batch);
        }
        return pushShared(batch.raw) ? 1 : 0;
    }

    @Override
    public String memberKey() {
        return key();
    }

    @Override
    public long memberMid() {
        return mid();
    }

    /** Queues a view of a frame shared by many recipients (see {@link SendQueue#pushShared}). Any thread. */
    boolean pushShared(SharedFrame frame) {
        return queue.pushShared(frame);
    }

    /** True once the channel is gone; nothing is queued or written after that. Any thread. */
    boolean closed() {
        return state == CLOSED;
    }

    /** The send queue overflowed: disconnects this client, once. */
    void slowConsumer() {
        if (state == CLOSED || closeReason != null) {
            return;
        }
        comet.slowLog.warn("disconnecting slow {} client {} (key {}): more than {} frames waiting to be sent",
                transport.tag, channel.remoteAddress(), logic.key(), comet.sendQueueSize);
        close("slow_consumer");
    }
}
