package dev.imcluster.broker.mq.kafka;

import dev.imcluster.broker.logging.RateLimitedLog;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.mq.Backoff;
import dev.imcluster.broker.mq.BusMetrics;
import dev.imcluster.broker.mq.BusSupport;
import dev.imcluster.broker.mq.BusUnavailableException;
import dev.imcluster.broker.mq.Envelopes;
import dev.imcluster.broker.mq.KeyedDispatcher;
import dev.imcluster.broker.mq.MessageBus;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka. Publish: an idempotent producer with acks=all and retries until {@code mq.kafka.deliveryTimeout}; the
 * record key is {@link Envelopes#partitionKey} (so one room's or key's messages share a partition and keep their
 * order), the value the envelope bytes, the msg_id also a header. The topic is created at start with
 * {@code mq.kafka.partitions} partitions if missing. Subscribe: a consumer of the group (job replicas share
 * it), offsets committed only up to the highest contiguous offset whose handler completed; a failed handler is
 * retried in place with backoff (never skipped), and commits happen on partition revoke and on close.
 */
public final class KafkaBus implements MessageBus {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaBus.class);
    public static final String MSG_ID_HEADER = "msg_id";
    private static final Duration POLL = Duration.ofMillis(200);
    private static final long COMMIT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final BrokerConfig config;
    private final MqConfig.Kafka settings;
    private final BusMetrics metrics;
    private final Backoff backoff;
    private final Map<String, Object> common;
    private final KafkaProducer<String, byte[]> producer;
    private final ThreadPoolExecutor sender;
    private final Admin admin;
    private final ScheduledExecutorService scheduler;
    private final RateLimitedLog stateLog = new RateLimitedLog(LOG, 30, TimeUnit.SECONDS);
    private final CopyOnWriteArrayList<GroupConsumer> consumers = new CopyOnWriteArrayList<>();
    private volatile boolean reachable;
    private int lagTicks; // maintenance thread only
    private volatile boolean topicReady;
    private volatile boolean closed;

    public KafkaBus(BrokerConfig config, MeterRegistry meters) {
        this.config = config;
        this.settings = config.mq.kafka;
        this.metrics = new BusMetrics(meters, name(), this::healthy);
        this.backoff = new Backoff(config.mq.retryBackoff, config.mq.retryBackoffMax);
        this.common = commonProperties();
        this.producer = new KafkaProducer<>(producerProperties(), new StringSerializer(), new ByteArraySerializer());
        // send() can block up to max.block.ms (metadata): callers hand records to this thread, never block.
        this.sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(10_000), r -> {
            Thread t = new Thread(r, "kafka-publish");
            t.setDaemon(true);
            return t;
        });
        Map<String, Object> adminProps = new HashMap<>(common);
        adminProps.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        adminProps.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000);
        this.admin = Admin.create(adminProps);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kafka-bus-maintenance");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::checkCluster, 0, 2, TimeUnit.SECONDS);
        LOG.info("kafka bus on {} (topic {})", settings.bootstrapServers, settings.topic);
    }

    @Override
    public String name() {
        return "kafka";
    }

    private Map<String, Object> commonProperties() {
        Map<String, Object> p = new HashMap<>(settings.properties);
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers);
        p.putIfAbsent(CommonClientConfigs.RECONNECT_BACKOFF_MS_CONFIG, 200);
        p.putIfAbsent(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, 5000);
        if (settings.saslUsername != null) {
            String password;
            try {
                password = Files.readString(Path.of(settings.saslPasswordFile), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new ConfigException("cannot read mq.kafka.saslPasswordFile " + settings.saslPasswordFile
                        + ": " + e, e);
            }
            String mechanism = String.valueOf(p.getOrDefault("sasl.mechanism", "PLAIN"));
            String module = mechanism.startsWith("SCRAM")
                    ? "org.apache.kafka.common.security.scram.ScramLoginModule"
                    : "org.apache.kafka.common.security.plain.PlainLoginModule";
            p.putIfAbsent("sasl.mechanism", mechanism);
            p.putIfAbsent(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
            p.put("sasl.jaas.config", module + " required username=\"" + jaasEscape(settings.saslUsername)
                    + "\" password=\"" + jaasEscape(password) + "\";");
        }
        return p;
    }

    private static String jaasEscape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private Properties producerProperties() {
        long delivery = settings.deliveryTimeout.toMillis();
        long linger = 5;
        Properties p = new Properties();
        p.putAll(common);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5); // ordered with idempotence
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) delivery);
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, (int) linger);
        p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(1000, delivery / 2 - linger));
        p.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, delivery);
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "imcluster-producer-" + BusSupport.consumerName(config));
        return p;
    }

    /** Every 2 s: is the cluster reachable, and does the topic exist (create it if not)? */
    private void checkCluster() {
        try {
            admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
            if (!reachable) {
                LOG.info("kafka {} reachable", settings.bootstrapServers);
            }
            reachable = true;
            if (!topicReady) {
                ensureTopic();
            }
            if (++lagTicks % 3 == 0) { // every ~6 s, for the lag gauge
                for (GroupConsumer c : consumers) {
                    c.lag();
                }
            }
        } catch (Exception e) {
            if (reachable || !topicReady) {
                stateLog.warn("kafka {} unreachable: {}", settings.bootstrapServers, BusSupport.unwrap(e).toString());
            }
            reachable = false;
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void ensureTopic() throws Exception {
        Set<String> names = admin.listTopics().names().get(5, TimeUnit.SECONDS);
        if (!names.contains(settings.topic)) {
            Optional<Short> rf = settings.replicationFactor > 0
                    ? Optional.of((short) settings.replicationFactor) : Optional.empty();
            try {
                admin.createTopics(List.of(new NewTopic(settings.topic, Optional.of(settings.partitions), rf)))
                        .all().get(10, TimeUnit.SECONDS);
                LOG.info("kafka topic {} created with {} partitions", settings.topic, settings.partitions);
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
        // Ready once every partition has a leader: producing to a partition whose leader is still being elected
        // gets the idempotent producer's first batches retried out of order, which stalls that partition.
        var description = admin.describeTopics(List.of(settings.topic)).allTopicNames().get(5, TimeUnit.SECONDS)
                .get(settings.topic);
        long leaderless = description.partitions().stream().filter(p -> p.leader() == null || p.leader().isEmpty())
                .count();
        if (leaderless > 0) {
            throw new IllegalStateException(leaderless + " partition(s) of " + settings.topic + " have no leader yet");
        }
        producer.partitionsFor(settings.topic); // warm the producer's metadata
        topicReady = true;
    }

    /**
     * The group's lag over every partition of the topic: end offset minus committed offset (minus the earliest
     * offset where the group has not committed yet). Committed offsets trail handled messages by at most the
     * commit interval, so this never under-reports.
     */
    private long groupLag(String group) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
        List<TopicPartition> partitions = new ArrayList<>();
        admin.describeTopics(List.of(settings.topic)).allTopicNames().get(5, TimeUnit.SECONDS)
                .get(settings.topic).partitions()
                .forEach(p -> partitions.add(new TopicPartition(settings.topic, p.partition())));
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        for (TopicPartition tp : partitions) {
            latest.put(tp, OffsetSpec.latest());
            OffsetAndMetadata c = committed.get(tp);
            if (c == null) {
                earliest.put(tp, OffsetSpec.earliest());
            }
        }
        var ends = admin.listOffsets(latest).all().get(5, TimeUnit.SECONDS);
        var starts = earliest.isEmpty() ? Map.<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo>of()
                : admin.listOffsets(earliest).all().get(5, TimeUnit.SECONDS);
        long total = 0;
        for (TopicPartition tp : partitions) {
            OffsetAndMetadata c = committed.get(tp);
            long from = c != null ? c.offset() : starts.get(tp).offset();
            total += Math.max(0, ends.get(tp).offset() - from);
        }
        return total;
    }

    @Override
    public CompletableFuture<Void> publish(PushEnvelope envelope) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(settings.topic, Envelopes.partitionKey(envelope),
                envelope.toByteArray());
        record.headers().add(MSG_ID_HEADER, envelope.getMsgId().getBytes(StandardCharsets.UTF_8));
        try {
            if (closed) {
                throw new BusUnavailableException("kafka bus is closed");
            }
            sender.execute(() -> {
                if (result.isDone()) {
                    return; // already failed to the caller (timed out while queued): do not send it late
                }
                try {
                    producer.send(record, (meta, error) -> {
                        if (error != null) {
                            result.completeExceptionally(error);
                        } else {
                            result.complete(null);
                        }
                    });
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new BusUnavailableException("kafka queue unavailable: too many publishes "
                    + "waiting (the cluster is slow or down)", e));
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        }
        return BusSupport.settlePublish(
                result.orTimeout(settings.deliveryTimeout.toMillis() + 5000, TimeUnit.MILLISECONDS), metrics, name());
    }

    @Override
    public Subscription subscribe(String group, EnvelopeHandler handler) {
        GroupConsumer c = new GroupConsumer(group, handler);
        consumers.add(c);
        c.start();
        return c;
    }

    @Override
    public boolean healthy() {
        return !closed && reachable && topicReady;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        for (GroupConsumer c : consumers) {
            c.close();
        }
        closed = true;
        scheduler.shutdownNow();
        sender.shutdown();
        try {
            sender.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(5));
        admin.close(Duration.ofSeconds(5));
    }

    /** One member of the consumer group: a poll loop thread that owns the KafkaConsumer. */
    private final class GroupConsumer implements Subscription, ConsumerRebalanceListener {
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

        GroupConsumer(String group, EnvelopeHandler handler) {
            this.group = group;
            // A poll fits in a quarter of the room, so fetching goes on while most handlers are still busy.
            this.maxPollRecords = Math.max(1, Math.min(500, config.mq.maxInFlight / 4));
            Properties p = new Properties();
            p.putAll(common);
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
            p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "imcluster-" + BusSupport.consumerName(config));
            this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
            this.dispatcher = new KeyedDispatcher("kafka-" + group, handler, metrics, backoff, config.mq.maxInFlight,
                    metrics.inFlight(group));
            this.lag = metrics.lag(group);
            this.loop = new Thread(this::run, "kafka-consumer-" + group);
            this.loop.setDaemon(true);
        }

        void start() {
            loop.start();
        }

        private void run() {
            try {
                consumer.subscribe(List.of(settings.topic), this);
                LOG.info("kafka consumer of group {} on topic {}: started", group, settings.topic);
                int failures = 0;
                while (running) {
                    try {
                        pollOnce();
                        failures = 0;
                    } catch (WakeupException e) {
                        // close() woke us up
                    } catch (RuntimeException e) {
                        failures++;
                        Duration delay = backoff.delay(failures);
                        stateLog.warn("kafka consumer of group {}: {}; retrying in {} ms", group, e.toString(),
                                delay.toMillis());
                        try {
                            Thread.sleep(delay.toMillis()); // backoff of this consumer thread only
                        } catch (InterruptedException ie) {
                            Thread.currentThread().interrupt();
                            break;
                        }
                    }
                }
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
                envelope = PushEnvelope.parseFrom(r.value() == null ? new byte[0] : r.value());
            } catch (InvalidProtocolBufferException e) {
                metrics.dropped("undecodable");
                stateLog.warn("kafka: dropping undecodable record {}-{}@{}: {}", tp.topic(), tp.partition(),
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
            dispatcher.dispatch(new KeyedDispatcher.Delivery() {
                @Override
                public PushEnvelope envelope() {
                    return envelope;
                }

                @Override
                public void ack() {
                    pp.complete(offset);
                }

                @Override
                public boolean valid() {
                    return pp.owned();
                }

                @Override
                public void released() {
                    // Not acked: the offset stays uncommitted, so the next owner of the partition reads it again.
                }
            });
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
                    stateLog.warn("kafka group {}: commit failed ({}); those records will be redelivered", group,
                            e.toString());
                }
            } else {
                consumer.commitAsync(offsets, (done, error) -> {
                    if (error != null) {
                        stateLog.warn("kafka group {}: commit failed ({}); retried", group, error.toString());
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
            long deadline = System.nanoTime() + Math.min(config.mq.closeTimeout.toNanos(), TimeUnit.SECONDS.toNanos(10));
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
                dispatcher.awaitIdle(config.mq.closeTimeout);
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
                long v = groupLag(group);
                lag.set(v);
                return OptionalLong.of(v);
            } catch (Exception e) {
                stateLog.warn("kafka group {}: cannot measure lag: {}", group, BusSupport.unwrap(e).toString());
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
                loop.join(config.mq.closeTimeout.toMillis() + 20_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            consumers.remove(this);
        }
    }
}
