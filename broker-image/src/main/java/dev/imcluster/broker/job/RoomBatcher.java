package dev.imcluster.broker.job;

import dev.imcluster.broker.api.internal.BroadcastRoomReq;
import dev.imcluster.broker.api.internal.RoomMessage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * goim's per-room batching ({@code internal/job/room.go}): a room's messages are collected up to
 * {@code maxMessages} or {@code maxDelay}, then sent as one BroadcastRoom. A room's batches go out one after
 * another, so the room keeps its order.
 * <p>Unlike goim, a quiet room does not wait: a message for a room that sent no batch in the last {@code maxDelay}
 * goes out at once, and what follows it within {@code maxDelay} is batched until {@code maxDelay} after that send.
 * So a room sends at most one timed batch per {@code maxDelay} under load (goim's throughput), and an occasional
 * push reaches its room without goim's up-to-{@code maxDelay} wait. Each message's future completes when the batch holding it was accepted
 * by the comets (the bus acknowledges it then), or fails with the batch. A room with nothing to do for
 * {@code idleTimeout} is forgotten.
 * <p>{@code maxDelay = 0} batches adaptively: a message for an idle room goes out at once, and what arrives while
 * a room's batch is being sent goes out as the next call as soon as that send ends: all of it, in order, up to
 * {@link #ADAPTIVE_CALL_MESSAGES} messages and {@link #ADAPTIVE_CALL_BYTES} (whole batches of {@code maxMessages}),
 * since each call costs every comet one write per connection, so a backlog sent in batches of {@code maxMessages}
 * would cap a busy room at the writes it pays.
 */
final class RoomBatcher implements AutoCloseable {
    /**
     * Adaptive mode: batches waiting behind a send go out in one call while it stays under this many serialized
     * bytes, far below comet's 4 MiB gRPC request limit...
     */
    static final int ADAPTIVE_CALL_BYTES = 256 * 1024;
    /**
     * ...and this many messages: a quarter of comet's default send queue ({@code comet.protocol.sendQueueSize},
     * 1024), which counts messages for gRPC and MQTT subscribers, so one call never fills a subscriber's queue.
     */
    static final int ADAPTIVE_CALL_MESSAGES = 256;

    private final int maxMessages;
    private final long maxDelayNanos;
    private final long idleNanos;
    private final ScheduledExecutorService timer;
    private final Function<BroadcastRoomReq, CompletableFuture<Void>> send;
    private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
    private final Counter batches;
    private final DistributionSummary batchSize;
    private final ScheduledFuture<?> sweeper;

    private final RoomHistory history;

    RoomBatcher(int maxMessages, Duration maxDelay, Duration idleTimeout, ScheduledExecutorService timer,
                Function<BroadcastRoomReq, CompletableFuture<Void>> send, MeterRegistry meters) {
        this(maxMessages, maxDelay, idleTimeout, timer, send, meters, null);
    }

    /** With {@code history}: each batch is appended to its room's history (if any) before it is sent. */
    RoomBatcher(int maxMessages, Duration maxDelay, Duration idleTimeout, ScheduledExecutorService timer,
                Function<BroadcastRoomReq, CompletableFuture<Void>> send, MeterRegistry meters, RoomHistory history) {
        this.history = history;
        this.maxMessages = maxMessages;
        this.maxDelayNanos = maxDelay.toNanos();
        this.idleNanos = idleTimeout.toNanos();
        this.timer = timer;
        this.send = send;
        this.batches = Counter.builder("imcluster_job_batches").description("Room batches sent (BroadcastRoom)")
                .register(meters);
        this.batchSize = DistributionSummary.builder("imcluster_job_batch_size")
                .description("Messages per room batch").register(meters);
        Gauge.builder("imcluster_job_rooms", rooms, ConcurrentHashMap::size)
                .description("Rooms with a live batcher").register(meters);
        long sweepEvery = Math.max(1, Math.min(idleTimeout.toMillis(), 60_000));
        this.sweeper = timer.scheduleWithFixedDelay(this::sweepIdle, sweepEvery, sweepEvery, TimeUnit.MILLISECONDS);
    }

    /** Adds a message to its room's batch; the future completes when the batch was delivered. */
    CompletableFuture<Void> add(String roomId, RoomMessage message) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        rooms.compute(roomId, (id, room) -> {
            Room r = room != null ? room : new Room(id);
            r.add(message, done);
            return r;
        });
        return done;
    }

    int activeRooms() {
        return rooms.size();
    }

    private void sweepIdle() {
        long now = System.nanoTime();
        rooms.forEach((id, room) -> rooms.computeIfPresent(id, (k, r) -> r.idleSince(now) ? null : r));
    }

    @Override
    public void close() {
        sweeper.cancel(false);
        rooms.values().forEach(Room::failPending);
        rooms.clear();
    }

    private record Pending(RoomMessage message, CompletableFuture<Void> done) {
    }

    private static boolean fits(List<Pending> call, long callBytes, List<Pending> next, long nextBytes) {
        return call.size() + next.size() <= ADAPTIVE_CALL_MESSAGES && callBytes + nextBytes <= ADAPTIVE_CALL_BYTES;
    }

    private static long bytes(List<Pending> batch) {
        long n = 0;
        for (Pending p : batch) {
            n += p.message().getSerializedSize();
        }
        return n;
    }

    /** One room's open batch, the full batches waiting behind the one in flight, and its timer. */
    private final class Room {
        final String id;
        List<Pending> open = new ArrayList<>();
        final ArrayDeque<List<Pending>> ready = new ArrayDeque<>();
        ScheduledFuture<?> deadline;
        boolean sending;
        long lastActive = System.nanoTime();
        /** When this room last sealed a batch; "long ago" for a new room, so its first message goes at once. */
        long lastSealed = lastActive - maxDelayNanos;

        /** Null when the room keeps no history. */
        final RoomHistory.Track track;

        Room(String id) {
            this.id = id;
            this.track = history == null ? null : history.track(id);
        }

        synchronized void add(RoomMessage message, CompletableFuture<Void> done) {
            long now = System.nanoTime();
            lastActive = now;
            open.add(new Pending(message, done));
            long sinceSealed = now - lastSealed;
            if (open.size() >= maxMessages || (maxDelayNanos == 0 && !sending)
                    || (maxDelayNanos > 0 && deadline == null && sinceSealed >= maxDelayNanos)) {
                seal();
            } else if (maxDelayNanos > 0 && deadline == null) {
                deadline = timer.schedule(this::sealOnTimer, maxDelayNanos - sinceSealed, TimeUnit.NANOSECONDS);
            }
        }

        private synchronized void sealOnTimer() {
            deadline = null;
            if (!open.isEmpty()) {
                seal();
            }
        }

        private void seal() {
            lastSealed = System.nanoTime();
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
            ready.add(open);
            open = new ArrayList<>();
            sendNext();
        }

        private void sendNext() {
            if (sending || ready.isEmpty()) {
                return;
            }
            List<Pending> batch = maxDelayNanos == 0 ? withWaiting(ready.poll()) : ready.poll();
            sending = true;
            BroadcastRoomReq.Builder req = BroadcastRoomReq.newBuilder().setRoomId(id);
            batch.forEach(p -> req.addMessages(p.message()));
            batches.increment();
            batchSize.record(batch.size());
            CompletableFuture<Void> sent;
            try {
                BroadcastRoomReq built = req.build();
                sent = track == null ? send.apply(built)
                        : track.append(built.getMessagesList()).thenCompose(appended -> send.apply(built));
            } catch (RuntimeException e) {
                sent = CompletableFuture.failedFuture(e);
            }
            sent.whenComplete((ok, error) -> {
                batch.forEach(p -> {
                    if (error == null) {
                        p.done().complete(null);
                    } else {
                        p.done().completeExceptionally(error);
                    }
                });
                synchronized (this) {
                    sending = false;
                    lastActive = System.nanoTime();
                    if (maxDelayNanos == 0 && ready.isEmpty() && !open.isEmpty()) {
                        seal(); // adaptive: what arrived during the send goes out now, as one batch
                    } else {
                        sendNext();
                    }
                }
            });
        }

        /**
         * Adaptive mode: {@code first} and the batches behind it, then the open one, while the call stays within
         * {@link #ADAPTIVE_CALL_MESSAGES} and {@link #ADAPTIVE_CALL_BYTES}. A sealed batch belongs to the room alone, so it grows in place.
         */
        private List<Pending> withWaiting(List<Pending> first) {
            if (ready.isEmpty() && open.isEmpty()) {
                return first; // the common case at low rates: nothing waited
            }
            long bytes = bytes(first);
            while (!ready.isEmpty()) {
                long more = bytes(ready.peek());
                if (!fits(first, bytes, ready.peek(), more)) {
                    return first;
                }
                first.addAll(ready.poll());
                bytes += more;
            }
            if (!open.isEmpty() && fits(first, bytes, open, bytes(open))) {
                first.addAll(open);
                open = new ArrayList<>();
            }
            return first;
        }

        synchronized boolean idleSince(long now) {
            return !sending && open.isEmpty() && ready.isEmpty() && now - lastActive >= idleNanos;
        }

        synchronized void failPending() {
            IllegalStateException stopped = new IllegalStateException("job stopping; message will be redelivered");
            open.forEach(p -> p.done().completeExceptionally(stopped));
            ready.forEach(b -> b.forEach(p -> p.done().completeExceptionally(stopped)));
            open.clear();
            ready.clear();
            if (deadline != null) {
                deadline.cancel(false);
            }
        }
    }
}
