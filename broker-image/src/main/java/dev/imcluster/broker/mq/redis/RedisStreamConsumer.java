package dev.imcluster.broker.mq.redis;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.mq.Position;
import dev.imcluster.broker.mq.BusSupport;
import dev.imcluster.broker.mq.KeyedDispatcher;
import dev.imcluster.broker.mq.MessageBus.EnvelopeHandler;
import dev.imcluster.broker.mq.MessageBus.Subscription;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.models.stream.ClaimedMessages;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Over 300 lines: reading, claiming (XAUTOCLAIM), keeping held entries (XCLAIM JUSTID), acking and the lag
 * share one group member's state.
 *
 * <p>{@link RedisStreamsBus#subscribe}: one group member, a read loop on its own connection (XREADGROUP blocks
 * it) plus the shared dispatcher.
 */
final class RedisStreamConsumer implements Subscription {
    private static final Logger LOG = LoggerFactory.getLogger(RedisStreamsBus.class);
    private static final int READ_BATCH = 128;

    private final RedisStreamsBus bus;
    private final String group;
    private final String consumerName;
    private final Consumer<String> consumer;
    private final KeyedDispatcher dispatcher;
    private final AtomicLong lag;
    private final Thread loop;
    private volatile boolean running = true;
    private volatile boolean groupReady;
    /** Whether the group's pending entries were taken over since the group was (re)joined; see takeOverPending. */
    private boolean pendingTakenOver;
    private String claimCursor = "0-0";
    private long nextClaimAt;
    private long nextRefreshAt;
    /** Entries handed to the dispatcher and not yet acked or released (kept ours while they wait). */
    private final java.util.Set<String> held = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private long nextLagAt;

    RedisStreamConsumer(RedisStreamsBus bus, String group, EnvelopeHandler handler) {
        this.bus = bus;
        this.group = group;
        this.consumerName = BusSupport.consumerName(bus.config);
        this.consumer = Consumer.from(group, consumerName);
        this.dispatcher = new KeyedDispatcher("redis-" + group, handler, bus.metrics, bus.backoff,
                bus.config.mq.maxInFlight, bus.metrics.inFlight(group));
        this.lag = bus.metrics.lag(group);
        this.loop = new Thread(this::run, "redis-stream-" + group);
        this.loop.setDaemon(true);
    }

    void start() {
        loop.start();
        LOG.info("redis stream {}: consuming as {} in group {}", bus.stream, consumerName, group);
    }

    private void run() {
        StatefulRedisConnection<String, byte[]> reader = null;
        int failures = 0;
        while (running) {
            try {
                if (reader == null) {
                    reader = bus.openConnection();
                }
                if (!groupReady) {
                    ensureGroup(reader);
                }
                if (!pendingTakenOver) {
                    takeOverPending(reader);
                }
                pollOnce(reader);
                if (failures > 0) {
                    LOG.info("redis stream {}: group {} consuming again", bus.stream, group);
                }
                failures = 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                if (!running) {
                    break;
                }
                if (e instanceof RedisCommandExecutionException && String.valueOf(e.getMessage()).startsWith("NOGROUP")) {
                    groupReady = false;
                    pendingTakenOver = false; // Redis lost its data (restart without persistence): create it again
                }
                failures++;
                Duration delay = bus.backoff.delay(failures);
                bus.stateLog.warn("redis stream {}: group {} read failed ({}); retrying in {} ms", bus.stream, group,
                        e.getMessage(), delay.toMillis());
                try {
                    Thread.sleep(delay.toMillis()); // backoff of this consumer thread only
                } catch (InterruptedException ie) {
                    break;
                }
            }
        }
        if (reader != null) {
            reader.close();
        }
    }

    private void ensureGroup(StatefulRedisConnection<String, byte[]> c) {
        try {
            c.sync().xgroupCreate(XReadArgs.StreamOffset.from(bus.stream, "0"), group,
                    XGroupCreateArgs.Builder.mkstream());
            LOG.info("redis stream {}: created group {}", bus.stream, group);
        } catch (RedisBusyException e) {
            // BUSYGROUP: another replica (or an earlier run) created it; resume where the group left off.
        }
        groupReady = true;
    }

    /**
     * Before reading anything new, takes over every entry pending in the group, in id order, and dispatches it.
     * A job that restarts after a crash then delivers what its dead predecessor held before anything newer, so a
     * room keeps its order across the crash (as Kafka's committed offset gives), instead of getting those entries
     * only after claimIdle, behind newer ones. Only entries idle for {@link #takeOverIdle} are taken: a live
     * member's entries in flight are younger (it handles them at once, and refreshes what it holds), while a dead
     * one's have waited out at least the restart of a process.
     */
    private void takeOverPending(StatefulRedisConnection<String, byte[]> c) throws InterruptedException {
        String cursor = "0-0";
        int taken = 0;
        do {
            ClaimedMessages<String, byte[]> claimed = c.sync().xautoclaim(bus.stream, new XAutoClaimArgs<String>()
                    .consumer(consumer).minIdleTime(takeOverIdle()).startId(cursor).count(READ_BATCH));
            cursor = claimed.getId();
            for (StreamMessage<String, byte[]> m : claimed.getMessages()) {
                if (m.getBody() == null || m.getBody().isEmpty() || held.contains(m.getId())) {
                    continue; // trimmed away while pending, or already ours and in the dispatcher
                }
                while (!dispatcher.reserve(bus.block)) {
                    if (!running) {
                        return;
                    }
                }
                deliver(m, true);
                taken++;
            }
        } while (running && !"0-0".equals(cursor));
        pendingTakenOver = true;
        if (taken > 0) {
            LOG.info("redis stream {}: took over {} pending entries of group {} before reading new ones", bus.stream,
                    taken, group);
        }
    }

    /** 1 s, or claimIdle when shorter. */
    private Duration takeOverIdle() {
        Duration second = Duration.ofSeconds(1);
        return bus.settings.claimIdle.compareTo(second) < 0 ? bus.settings.claimIdle : second;
    }

    @SuppressWarnings("unchecked") // lettuce's generic varargs of stream offsets
    private void pollOnce(StatefulRedisConnection<String, byte[]> c) throws InterruptedException {
        long now = System.nanoTime();
        if (now - nextLagAt >= 0) {
            nextLagAt = now + TimeUnit.SECONDS.toNanos(5);
            lag(); // refreshes the gauge
        }
        if (now - nextRefreshAt >= 0) {
            nextRefreshAt = now + bus.settings.claimIdle.toNanos() / 3;
            refreshHeld(c);
        }
        if (now - nextClaimAt >= 0) {
            nextClaimAt = now + Math.max(TimeUnit.MILLISECONDS.toNanos(200), bus.settings.claimIdle.toNanos() / 2);
            claimIdle(c);
        }
        if (!dispatcher.reserve(bus.block)) {
            return; // full: the handler is behind, fetch nothing more
        }
        int reserved = 1;
        while (reserved < READ_BATCH && dispatcher.tryReserve()) {
            reserved++;
        }
        List<StreamMessage<String, byte[]>> read;
        try {
            read = c.sync().xreadgroup(consumer, XReadArgs.Builder.count(reserved).block(bus.block),
                    XReadArgs.StreamOffset.lastConsumed(bus.stream));
        } catch (RuntimeException e) {
            release(reserved);
            throw e;
        }
        int used = read == null ? 0 : read.size();
        release(reserved - used);
        if (read != null) {
            for (StreamMessage<String, byte[]> m : read) {
                deliver(m, false);
            }
        }
    }

    private void release(int n) {
        for (int i = 0; i < n; i++) {
            dispatcher.unreserve();
        }
    }

    /**
     * Resets the idle time of every entry we hold (XCLAIM ... JUSTID to ourselves), so that entries waiting
     * behind a slow or retried message of their key are not taken over by another replica, nor by our own
     * XAUTOCLAIM, while this replica is alive.
     */
    private void refreshHeld(StatefulRedisConnection<String, byte[]> c) {
        if (held.isEmpty()) {
            return;
        }
        List<String> ids = List.copyOf(held);
        for (int i = 0; i < ids.size(); i += 500) {
            c.sync().xclaim(bus.stream, consumer, XClaimArgs.Builder.justid(),
                    ids.subList(i, Math.min(ids.size(), i + 500)).toArray(String[]::new));
        }
    }

    /** Takes over entries idle longer than claimIdle on any consumer of the group (a dead replica's). */
    private void claimIdle(StatefulRedisConnection<String, byte[]> c) {
        int budget = dispatcher.available();
        while (running && budget > 0) {
            int count = Math.min(budget, READ_BATCH);
            ClaimedMessages<String, byte[]> claimed = c.sync().xautoclaim(bus.stream, new XAutoClaimArgs<String>()
                    .consumer(consumer).minIdleTime(bus.settings.claimIdle).startId(claimCursor).count(count));
            claimCursor = claimed.getId();
            int taken = 0;
            for (StreamMessage<String, byte[]> m : claimed.getMessages()) {
                if (m.getBody() == null || m.getBody().isEmpty()) {
                    continue; // trimmed away (MAXLEN) while pending; XAUTOCLAIM already dropped it from the PEL
                }
                if (held.contains(m.getId())) {
                    continue; // already ours and in the dispatcher
                }
                if (!dispatcher.tryReserve()) {
                    break; // stays pending on us; claimed again later
                }
                deliver(m, true);
                taken++;
            }
            budget -= taken;
            if ("0-0".equals(claimCursor) || taken == 0) {
                break;
            }
        }
    }

    private void deliver(StreamMessage<String, byte[]> m, boolean reclaimed) {
        byte[] bytes = m.getBody() == null ? null : m.getBody().get(RedisStreamsBus.FIELD_ENVELOPE);
        PushEnvelope envelope;
        try {
            if (bytes == null) {
                throw new InvalidProtocolBufferException("no field '" + RedisStreamsBus.FIELD_ENVELOPE + "'");
            }
            envelope = new Position(Position.fromRedisId(m.getId()), bus.epoch()).stamp(PushEnvelope.parseFrom(bytes));
        } catch (InvalidProtocolBufferException e) {
            dispatcher.unreserve();
            bus.metrics.dropped("undecodable");
            bus.stateLog.warn("redis stream {}: dropping undecodable entry {}: {}", bus.stream, m.getId(),
                    e.getMessage());
            ack(m.getId());
            return;
        }
        if (reclaimed) {
            bus.metrics.redelivered();
        }
        String id = m.getId();
        held.add(id);
        dispatcher.dispatch(new KeyedDispatcher.Settled(envelope,
                () -> {
                    held.remove(id);
                    ack(id);
                },
                null,
                () -> held.remove(id), // stays pending: another replica XAUTOCLAIMs it after claimIdle
                null));
    }

    private void ack(String id) {
        try {
            bus.connection().async().xack(bus.stream, group, id).exceptionally(e -> {
                bus.stateLog.warn("redis stream {}: XACK {} failed ({}); it will be claimed again", bus.stream, id,
                        e.getMessage());
                return 0L;
            });
        } catch (RuntimeException e) {
            bus.stateLog.warn("redis stream {}: XACK {} failed ({}); it will be claimed again", bus.stream, id,
                    e.getMessage());
        }
    }

    /** lag + pending of the group from XINFO GROUPS (Redis 7), i.e. entries the group has not acknowledged. */
    private void measureLag(StatefulRedisConnection<String, byte[]> c) {
        lag.set(-1);
        for (Object info : c.sync().xinfoGroups(bus.stream)) {
            if (!(info instanceof List<?> fields)) {
                continue;
            }
            String name = null;
            long pending = 0;
            Long groupLag = null;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                String key = text(fields.get(i));
                Object value = fields.get(i + 1);
                switch (key) {
                    case "name" -> name = text(value);
                    case "pending" -> pending = value instanceof Long l ? l : 0;
                    case "lag" -> groupLag = value instanceof Long l ? l : null;
                    default -> { }
                }
            }
            if (group.equals(name)) {
                lag.set(groupLag == null ? -1 : groupLag + pending);
            }
        }
    }

    private static String text(Object o) {
        return o instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(o);
    }

    /** Measured now (XINFO GROUPS), for the whole group; empty when unknown (Redis before 7.0, or down). */
    @Override
    public OptionalLong lag() {
        try {
            measureLag(bus.connection());
        } catch (RuntimeException e) {
            bus.stateLog.warn("redis stream {}: cannot measure the lag of group {}: {}", bus.stream, group,
                    e.getMessage());
            return OptionalLong.empty();
        }
        long v = lag.get();
        return v < 0 ? OptionalLong.empty() : OptionalLong.of(v);
    }

    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        try {
            loop.join(bus.block.toMillis() * 3);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // In-flight handlers may still finish and XACK; the rest stays pending and is claimed after claimIdle.
        dispatcher.close(bus.config.mq.closeTimeout);
        bus.unregister(this);
        LOG.info("redis stream {}: consumer {} of group {} stopped", bus.stream, consumerName, group);
    }
}
