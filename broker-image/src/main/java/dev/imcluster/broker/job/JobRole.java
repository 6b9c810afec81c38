package dev.imcluster.broker.job;

import dev.imcluster.broker.security.InternalToken;
import dev.imcluster.broker.api.internal.BroadcastReq;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.api.internal.PushMsgReq;
import dev.imcluster.broker.api.internal.RoomMessage;
import dev.imcluster.broker.api.protocol.Proto;
import dev.imcluster.broker.config.JobConfig;
import dev.imcluster.broker.history.HistoryMetrics;
import dev.imcluster.broker.history.HistoryPolicy;
import dev.imcluster.broker.protocol.FrameCodec;
import dev.imcluster.broker.protocol.Op;
import com.google.protobuf.ByteString;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import dev.imcluster.broker.mq.MessageBus;
import dev.imcluster.broker.runtime.Health;
import dev.imcluster.broker.logging.RateLimitedLog;
import dev.imcluster.broker.runtime.HostResolver;
import dev.imcluster.broker.runtime.Role;
import dev.imcluster.broker.runtime.RoleContext;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * job (goim's job): consumes the queue as {@code job.group} and fans out to the comets: PUSH to the comet named
 * by the envelope's server, BROADCAST to every comet, ROOM through a per-room batcher to every comet. A message
 * is acknowledged only once every comet it goes to accepted it or what that comet missed was counted (see
 * {@link CometFanout}); a failure fails the handler's future so the queue redelivers it.
 */
public final class JobRole implements Role {

    private static final Logger log = LoggerFactory.getLogger(JobRole.class);

    private final RoleContext ctx;
    private final JobConfig config;
    private final HostResolver resolver;
    private final Map<PushEnvelope.Type, Counter> consumed = new EnumMap<>(PushEnvelope.Type.class);
    private final RateLimitedLog dropLog = new RateLimitedLog(log, 10, java.util.concurrent.TimeUnit.SECONDS);
    private Counter noComets;
    private Counter unresolved;
    private Timer queueLatency;
    private ScheduledExecutorService timer;
    private CometDirectory comets;
    private CometFanout fanout;
    private RoomBatcher rooms;
    private MessageBus.Subscription subscription;
    private final MessageBus previousBus;
    private PreviousBackend previous;

    public JobRole(RoleContext ctx) {
        this(ctx, HostResolver.SYSTEM, null);
    }

    /** During a backend swap: also consumes {@code previousBus} (mq.previous.backend) with the same group. */
    public JobRole(RoleContext ctx, MessageBus previousBus) {
        this(ctx, HostResolver.SYSTEM, previousBus);
    }

    JobRole(RoleContext ctx, HostResolver resolver) {
        this(ctx, resolver, null);
    }

    JobRole(RoleContext ctx, HostResolver resolver, MessageBus previousBus) {
        this.ctx = ctx;
        this.config = ctx.config().job;
        this.resolver = resolver;
        this.previousBus = previousBus;
    }

    @Override
    public String name() {
        return "job";
    }

    @Override
    public void start() {
        MeterRegistry meters = ctx.meters();
        for (PushEnvelope.Type type : List.of(PushEnvelope.Type.PUSH, PushEnvelope.Type.ROOM,
                PushEnvelope.Type.BROADCAST)) {
            consumed.put(type, Counter.builder("imcluster_job_consumed").tag("type", type.name().toLowerCase(Locale.ROOT))
                    .description("Envelopes consumed from the queue (redeliveries included)").register(meters));
        }
        noComets = Counter.builder("imcluster_job_deferred").tag("reason", "no_comets")
                .description("Deliveries retried later because no comet was discovered yet (the message stays in "
                        + "the queue)").register(meters);
        unresolved = Counter.builder("imcluster_job_push_server_unresolved")
                .description("Key pushes whose server was unknown, sent to every comet instead").register(meters);
        queueLatency = Timer.builder("imcluster_job_queue_latency")
                .description("Time from logic's publish to job's consume (queue lag)").publishPercentileHistogram()
                .register(meters);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "job-timer");
            t.setDaemon(true);
            return t;
        });
        fanout = new CometFanout(meters);
        comets = new CometDirectory(config, resolver, InternalToken.load(ctx.config().security.internalTokenFile),
                ctx.internalTls(), fanout::dropped);
        comets.start();
        Gauge.builder("imcluster_job_comets", comets, CometDirectory::size).description("Comets discovered")
                .register(meters);
        rooms = new RoomBatcher(config.roomBatch.maxMessages, config.roomBatch.maxDelay, config.roomIdleTimeout, timer,
                req -> fanout.broadcastRoom(comets.all(), req), meters,
                ctx.history() == null ? null : new RoomHistory(new HistoryPolicy.Rules(ctx.config().delivery.history),
                        ctx.history(), new HistoryMetrics(meters)));
        ctx.health().register("job.bus", () -> ctx.bus().healthy() ? Health.Check.up()
                : Health.Check.down("queue '" + ctx.bus().name() + "' unreachable"));
        subscription = ctx.bus().subscribe(config.group, this::handle);
        if (previousBus != null) {
            // Readiness stays on the new bus only: the old one may be the reason for the swap (down), and its
            // drain state is what GET /migration reports.
            previous = new PreviousBackend(previousBus, config.group, this::handle, meters);
            log.info("backend swap: job also consumes group '{}' from the previous backend {} until drained",
                    config.group, previousBus.name());
        }
        log.info("job consuming group '{}' from {}, {} comet(s) via {} discovery", config.group, ctx.bus().name(),
                comets.size(), config.comets.mode == JobConfig.DiscoveryMode.DNS ? "dns" : "static");
    }

    /**
     * GET /migration: {@code {"previous":"kafka","lag":0,"drained":true}} with the lag on the previous backend
     * measured now; {@code {"previous":"none","lag":null,"drained":false}} outside a swap (nothing here can vouch
     * for a drain, so the operator never takes it as one).
     */
    public CompletableFuture<String> swapStatus() {
        PreviousBackend p = previous;
        return p == null ? CompletableFuture.completedFuture(
                new PreviousBackend.Status("none", java.util.OptionalLong.empty(), null).toJson())
                : p.status().thenApply(PreviousBackend.Status::toJson);
    }

    /** No comet is known yet: the delivery is retried later (it fails the handler's future, so nothing is acked). */
    static final class NoCometsException extends RuntimeException {
        NoCometsException(String msgId) {
            super("no comet discovered yet; message " + msgId + " stays in the queue and is retried", null, false,
                    false);
        }
    }

    CompletableFuture<Void> handle(PushEnvelope e) {
        consumed.get(e.getType() == PushEnvelope.Type.UNRECOGNIZED ? PushEnvelope.Type.PUSH : e.getType()).increment();
        if (e.getPublishedAtMicros() > 0) {
            long lagMicros = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now()) - e.getPublishedAtMicros();
            queueLatency.record(Math.max(0, lagMicros), TimeUnit.MICROSECONDS);
        }
        List<CometClient> all = comets.all();
        if (all.isEmpty()) {
            // Not acknowledged: comets that are not discovered yet (a job pod just started, DNS trouble) are not
            // comets that do not exist, and acking here would lose the message. The bus retries it with backoff,
            // and hands it to another replica if this one stops.
            noComets.increment();
            return CompletableFuture.failedFuture(new NoCometsException(e.getMsgId()));
        }
        return switch (e.getType()) {
            case PUSH -> push(e, all);
            case BROADCAST -> fanout.broadcast(all, BroadcastReq.newBuilder()
                    .setProtoOp(e.getOperation()).setProto(proto(e)).setSpeed(e.getSpeed() / all.size())
                    .setMsgId(e.getMsgId()).setPublishedAtMicros(e.getPublishedAtMicros()).build());
            case ROOM -> rooms.add(e.getRoom(), RoomMessage.newBuilder().setMsgId(e.getMsgId())
                    .setOperation(e.getOperation()).setBody(e.getMsg())
                    .setPublishedAtMicros(e.getPublishedAtMicros())
                    .setOffset(e.getOffset()).setEpoch(e.getEpoch()).putAllHeaders(e.getHeadersMap()).build());
            default -> {
                dropLog.warn("dropping envelope of unknown type " + e.getTypeValue() + " (" + e.getMsgId() + ")");
                yield CompletableFuture.completedFuture(null);
            }
        };
    }

    private CompletableFuture<Void> push(PushEnvelope e, List<CometClient> all) {
        List<CometClient> targets = comets.forServer(e.getServer()).map(List::of).orElse(null);
        if (targets == null) {
            unresolved.increment();
            targets = all;
        }
        return fanout.pushMsg(targets, PushMsgReq.newBuilder().addAllKeys(e.getKeysList())
                .setProtoOp(e.getOperation()).setProto(proto(e))
                .setMsgId(e.getMsgId()).setPublishedAtMicros(e.getPublishedAtMicros()).build());
    }

    /**
     * As goim's job builds it ({@code internal/job/push.go}): a Raw (op 9) proto whose body is one whole frame
     * with op = the push's operation and body = the message; comet writes it to the client as is.
     */
    static Proto proto(PushEnvelope e) {
        ByteBuf inner = Unpooled.buffer(FrameCodec.HEADER_SIZE + e.getMsg().size());
        FrameCodec.writeHeader(inner, e.getMsg().size(), 1, e.getOperation(), 0);
        inner.writeBytes(e.getMsg().asReadOnlyByteBuffer());
        return Proto.newBuilder().setVer(1).setOp(Op.RAW)
                .setBody(ByteString.copyFrom(inner.array(), inner.arrayOffset(), inner.readableBytes())).build();
    }

    @Override
    public void close() {
        if (subscription != null) {
            subscription.close();
        }
        if (previous != null) {
            previous.close();
        }
        if (rooms != null) {
            rooms.close();
        }
        if (comets != null) {
            comets.close();
        }
        if (timer != null) {
            timer.shutdownNow();
        }
        log.info("job stopped");
    }
}
