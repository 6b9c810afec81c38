package dev.imcluster.broker.mq.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.mq.BusSupport;
import dev.imcluster.broker.mq.KeyedDispatcher;
import dev.imcluster.broker.mq.MessageBus.EnvelopeHandler;
import dev.imcluster.broker.mq.MessageBus.Subscription;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Over 300 lines: the poll loop, backpressure, offset tracking and the rebalance callbacks share one
 * KafkaConsumer thread.
 *
 * <p>{@link KafkaBus#subscribe}: one member of the consumer group, a poll loop thread that owns the
 * KafkaConsumer. Offsets are committed only up to the highest contiguous offset whose handler completed ({@link
 * PartitionProgress}); a partition's in-flight handlers finish (bounded) before it is revoked.
 */
final class KafkaGroupConsumer implements Subscription, ConsumerRebalanceListener {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaBus.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final long COMMIT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final KafkaBus bus;
    private final String group;
    private final KafkaConsumer<String, byte[]> consumer;
    private final KeyedDispatcher dispatcher;
    private final Map<TopicPartition, PartitionProgress> progress = new ConcurrentHashMap<>();
    private final AtomicLong lag;
    private final Thread loop;
    private final int maxPollRecords;
    private volatile boolean running = true;
    private boolean paused;
    private long nextCommitAt;

    KafkaGroupConsumer(KafkaBus bus, String group, EnvelopeHandler handler) {
        this.bus = bus;
        this.group = group;
        // A poll fits in a quarter of the room, so fetching goes on while most handlers are still busy.
        this.maxPollRecords = Math.max(1, Math.min(500, bus.config.mq.maxInFlight / 4));
        Properties p = new Properties();
        p.putAll(bus.common);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "imcluster-" + BusSupport.consumerName(bus.config));
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        this.dispatcher = new KeyedDispatcher("kafka-" + group, handler, bus.metrics, bus.backoff,
                bus.config.mq.maxInFlight, bus.metrics.inFlight(group));
        this.lag = bus.metrics.lag(group);
        this.loop = new Thread(this::run, "kafka-consumer-" + group);
        this.loop.setDaemon(true);
    }

    private String topicId;

    void start() {
        loop.start();
    }

    private void run() {
        try {
            // Positions name the topic's id, known once the bus has seen the topic ready.
            topicId = bus.topicId();
            consumer.subscribe(List.of(bus.settings.topic), this);
            LOG.info("kafka consumer of group {} on topic {}: started", group, bus.settings.topic);
            int failures = 0;
            while (running) {
                try {
                    pollOnce();
                    failures = 0;
                } catch (WakeupException e) {
                    // close() woke us up
                } catch (RuntimeException e) {
                    failures++;
                    Duration delay = bus.backoff.delay(failures);
                    bus.stateLog.warn("kafka consumer of group {}: {}; retrying in {} ms", group, e.toString(),
                            delay.toMillis());
                    try {
                        Thread.sleep(delay.toMillis()); // backoff of this consumer thread only
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            bus.stateLog.warn("kafka consumer of group {}: topic never became ready: {}", group, e.toString());
        } finally {
            shutdown();
        }
    }

    private void pollOnce() {
        // Backpressure: fetch only while a whole poll fits in the handler's room.
        boolean full = dispatcher.available() < maxPollRecords;
        if (full != paused) {
            if (full) {
                consumer.pause(consumer.assignment());
            } else {
                consumer.resume(consumer.paused());
            }
            paused = full;
        }
        ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
        for (TopicPartition tp : records.partitions()) {
            PartitionProgress pp = progress.computeIfAbsent(tp, t -> new PartitionProgress());
            for (ConsumerRecord<String, byte[]> r : records.records(tp)) {
                if (!handOut(tp, pp, r)) {
                    break;
                }
            }
        }
        long now = System.nanoTime();
        if (now - nextCommitAt >= 0) {
            nextCommitAt = now + COMMIT_INTERVAL_NANOS;
            commit(progress.keySet(), false);
        }
    }

    /** Hands one record to the dispatcher; false (and the partition rewound) if there is no room. */
    private boolean handOut(TopicPartition tp, PartitionProgress pp, ConsumerRecord<String, byte[]> r) {
        PushEnvelope envelope;
        try {
            envelope = KafkaBus.position(topicId, tp.partition(), r.offset())
                    .stamp(PushEnvelope.parseFrom(r.value() == null ? new byte[0] : r.value()));
        } catch (InvalidProtocolBufferException e) {
            bus.metrics.dropped("undecodable");
            bus.stateLog.warn("kafka: dropping undecodable record {}-{}@{}: {}", tp.topic(), tp.partition(),
                    r.offset(), e.getMessage());
            pp.track(r.offset());
            pp.complete(r.offset());
            return true;
        }
        if (!dispatcher.tryReserve()) {
            consumer.seek(tp, r.offset()); // fetched again after the handler catches up
            pp.rewind(r.offset());
            return false;
        }
        pp.track(r.offset());
        long offset = r.offset();
        // Released: not acked, so the offset stays uncommitted and the next owner of the partition reads it again.
        dispatcher.dispatch(new KeyedDispatcher.Settled(envelope, () -> pp.complete(offset), null, null, pp::owned));
        return true;
    }

    private void commit(Collection<TopicPartition> partitions, boolean sync) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : partitions) {
            PartitionProgress pp = progress.get(tp);
            if (pp != null && pp.advanced()) {
                offsets.put(tp, new OffsetAndMetadata(pp.committable()));
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        if (sync) {
            try {
                consumer.commitSync(offsets, Duration.ofSeconds(10));
                offsets.forEach((tp, o) -> progress.get(tp).committed(o.offset()));
            } catch (RuntimeException e) {
                bus.stateLog.warn("kafka group {}: commit failed ({}); those records will be redelivered", group,
                        e.toString());
            }
        } else {
            consumer.commitAsync(offsets, (done, error) -> {
                if (error != null) {
                    bus.stateLog.warn("kafka group {}: commit failed ({}); retried", group, error.toString());
                } else {
                    done.forEach((tp, o) -> {
                        PartitionProgress pp = progress.get(tp);
                        if (pp != null) {
                            pp.committed(o.offset());
                        }
                    });
                }
            });
        }
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        if (!partitions.isEmpty()) {
            LOG.info("kafka group {}: assigned {}", group, partitions);
        }
        if (paused) {
            consumer.pause(partitions);
        }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        // Let in-flight handlers of these partitions finish (bounded), commit, then let go of them.
        long deadline = System.nanoTime()
                + Math.min(bus.config.mq.closeTimeout.toNanos(), TimeUnit.SECONDS.toNanos(10));
        for (TopicPartition tp : partitions) {
            PartitionProgress pp = progress.get(tp);
            if (pp != null) {
                try {
                    pp.awaitIdle(Math.max(0, (deadline - System.nanoTime()) / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        commit(partitions, true);
        forget(partitions);
        LOG.info("kafka group {}: revoked {}", group, partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        forget(partitions);
        LOG.warn("kafka group {}: lost {} (their uncommitted records go to the new owner)", group, partitions);
    }

    private void forget(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            PartitionProgress pp = progress.remove(tp);
            if (pp != null) {
                pp.disown();
            }
        }
    }

    private void shutdown() {
        try {
            consumer.pause(consumer.assignment());
            try {
                consumer.poll(Duration.ZERO); // takes a pending wakeup() so that the commit below is not aborted
            } catch (WakeupException e) {
                // expected
            }
            dispatcher.awaitIdle(bus.config.mq.closeTimeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.debug("pausing on close", e);
        }
        commit(progress.keySet(), true);
        forget(List.copyOf(progress.keySet()));
        dispatcher.close(Duration.ZERO);
        try {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
            LOG.debug("closing the kafka consumer", e);
        }
        LOG.info("kafka consumer of group {}: stopped", group);
    }

    /** Measured now, for the whole group: end offsets minus committed offsets over all partitions. */
    @Override
    public OptionalLong lag() {
        try {
            long v = bus.groupLag(group);
            lag.set(v);
            return OptionalLong.of(v);
        } catch (Exception e) {
            bus.stateLog.warn("kafka group {}: cannot measure lag: {}", group, BusSupport.unwrap(e).toString());
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return OptionalLong.empty();
        }
    }

    @Override
    public void close() {
        if (!running) {
            return;
        }
        running = false;
        consumer.wakeup();
        try {
            loop.join(bus.config.mq.closeTimeout.toMillis() + 20_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        bus.unregister(this);
    }
}
