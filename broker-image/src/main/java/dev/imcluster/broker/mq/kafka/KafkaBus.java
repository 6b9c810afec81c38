package dev.imcluster.broker.mq.kafka;

import dev.imcluster.broker.logging.RateLimitedLog;
import dev.imcluster.broker.api.internal.PushEnvelope;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.config.SecurityConfig;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.mq.Backoff;
import dev.imcluster.broker.mq.BusMetrics;
import dev.imcluster.broker.mq.BusSupport;
import dev.imcluster.broker.mq.BusUnavailableException;
import dev.imcluster.broker.mq.Envelopes;
import dev.imcluster.broker.mq.MessageBus;
import dev.imcluster.broker.mq.Position;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Over 300 lines: the producer, and the topic's creation, readiness and group lag read through one Admin
 * client.
 *
 * <p>Kafka. Publish: an idempotent producer with acks=all and retries until {@code mq.kafka.deliveryTimeout}; the
 * record key is {@link Envelopes#partitionKey} (so one room's or key's messages share a partition and keep their
 * order), the value the envelope bytes, the msg_id also a header. The topic is created at start with
 * {@code mq.kafka.partitions} partitions if missing. Subscribe ({@link KafkaGroupConsumer}): a consumer of the
 * group (job replicas share it), offsets committed only up to the highest contiguous offset whose handler
 * completed; a failed handler is retried in place with backoff (never skipped), and commits happen on partition
 * revoke and on close.
 */
public final class KafkaBus implements MessageBus {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaBus.class);
    public static final String MSG_ID_HEADER = "msg_id";

    // Package-private: KafkaGroupConsumer reads them.
    final BrokerConfig config;
    final MqConfig.Kafka settings;
    final BusMetrics metrics;
    final Backoff backoff;
    final Map<String, Object> common;
    final RateLimitedLog stateLog = new RateLimitedLog(LOG, 30, TimeUnit.SECONDS);
    private final KafkaProducer<String, byte[]> producer;
    private final ThreadPoolExecutor sender;
    private final Admin admin;
    private final ScheduledExecutorService scheduler;
    private final CopyOnWriteArrayList<KafkaGroupConsumer> consumers = new CopyOnWriteArrayList<>();
    private volatile boolean reachable;
    private int lagTicks; // maintenance thread only
    private volatile boolean topicReady;
    private final CompletableFuture<String> topicId = new CompletableFuture<>();
    private volatile boolean closed;

    public KafkaBus(BrokerConfig config, MeterRegistry meters) {
        this.config = config;
        this.settings = config.mq.kafka;
        this.metrics = new BusMetrics(meters, name(), this::healthy);
        metrics.expectDrops("undecodable");
        this.backoff = new Backoff(config.mq.retryBackoff, config.mq.retryBackoffMax);
        this.common = commonProperties(config);
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

    /** The kafka-clients settings of every client (producer, consumers, admin); package-private for tests. */
    static Map<String, Object> commonProperties(BrokerConfig config) {
        MqConfig.Kafka settings = config.mq.kafka;
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
            p.put("sasl.jaas.config", module + " required username=\"" + jaasEscape(settings.saslUsername)
                    + "\" password=\"" + jaasEscape(password) + "\";");
        }
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, settings.securityProtocol());
        if (settings.tls) {
            SecurityConfig.InternalTlsConfig tls = config.security.internalTls;
            if (tls.enabled()) {
                p.putIfAbsent("ssl.truststore.type", "PEM");
                // Kafka is not the operator's: its certificate may be of the cluster's CA or of a public one (a
                // managed Kafka's), so both are trusted. A private CA of its own comes in through
                // mq.kafka.properties (ssl.truststore.*), which wins over these.
                p.putIfAbsent("ssl.truststore.certificates", pem(tls.caFile, "security.internalTls.caFile")
                        + JvmTrustedCertificates.pem());
                p.putIfAbsent("ssl.keystore.type", "PEM");
                p.putIfAbsent("ssl.keystore.certificate.chain", pem(tls.certFile, "security.internalTls.certFile"));
                p.putIfAbsent("ssl.keystore.key", pem(tls.keyFile, "security.internalTls.keyFile"));
            }
        }
        return p;
    }

    private static String pem(String file, String key) {
        try {
            return Files.readString(Path.of(file), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new ConfigException("cannot read " + key + " " + file + ": " + e, e);
        }
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
                for (KafkaGroupConsumer c : consumers) {
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
        topicId.complete(description.topicId().toString());
        topicReady = true;
    }

    /**
     * The group's lag over every partition of the topic: end offset minus committed offset (minus the earliest
     * offset where the group has not committed yet). Committed offsets trail handled messages by at most the
     * commit interval, so this never under-reports.
     */
    long groupLag(String group) throws Exception {
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
    public CompletableFuture<Position> publish(PushEnvelope envelope) {
        CompletableFuture<Position> result = new CompletableFuture<>();
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
                            topicId.thenAccept(id -> result.complete(position(id, meta.partition(), meta.offset())));
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

    /**
     * The epoch names the partition of this incarnation of the topic (its topic id), so a recreated topic, whose
     * offsets start again, voids every earlier position.
     */
    static Position position(String topicId, int partition, long offset) {
        return new Position(offset, "kafka:" + topicId + ":" + partition);
    }

    /** The topic's id, known once the topic is ready; consumers wait for it before handing anything out. */
    String topicId() throws InterruptedException, java.util.concurrent.ExecutionException {
        return topicId.get();
    }

    @Override
    public Subscription subscribe(String group, EnvelopeHandler handler) {
        KafkaGroupConsumer c = new KafkaGroupConsumer(this, group, handler);
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
        topicId.completeExceptionally(new IllegalStateException("kafka bus closed"));
        for (KafkaGroupConsumer c : consumers) {
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

    /** A consumer closed: it no longer takes part in the lag ticks. */
    void unregister(KafkaGroupConsumer consumer) {
        consumers.remove(consumer);
    }
}
