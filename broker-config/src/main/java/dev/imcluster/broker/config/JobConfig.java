package dev.imcluster.broker.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** job: consumes the queue and fans out to comets (goim's job). */
public final class JobConfig {
    /** Consumer group shared by job replicas; each message is handled by one of them. */
    public String group = "goim-job";
    public RoomBatch roomBatch = new RoomBatch();
    /** An idle room's batcher is dropped after this (goim: 15 min). */
    public Duration roomIdleTimeout = Duration.ofMinutes(15);
    public CometDiscovery comets = new CometDiscovery();
    /** Deadline of one gRPC call to a comet. */
    public Duration pushTimeout = Duration.ofSeconds(5);

    public static final class RoomBatch {
        /**
         * Up to this many messages go into one batch (goim: 20). With maxDelay 0, the batches that waited behind a
         * room's send go out together as its next call, up to 256 messages and 256 KiB.
         */
        public int maxMessages = 20;
        /**
         * 0 (the default) batches adaptively: a message for an idle room goes out at once, and messages arriving
         * while a room's batch is being sent form its next batch, so a message waits at most one send. A positive
         * value batches on a timer as goim does (goim: 1 s): a room sends at most one timed batch per interval, and
         * a message for a room that sent nothing for this long goes out at once.
         */
        public Duration maxDelay = Duration.ZERO;
    }

    public static final class CometDiscovery {
        /** {@code static}: the addresses below; {@code dns}: every A record of {@code dnsName} (a headless Service). */
        public DiscoveryMode mode = DiscoveryMode.STATIC_LIST;
        /**
         * With mode static: each comet's internal gRPC as {@code serverId=host:port}, or {@code host:port} (then
         * its server id is taken to be {@code host:port} or {@code host}).
         */
        public List<String> addresses = new ArrayList<>(List.of("localhost:3109"));
        /** Headless Service name, with mode dns. */
        public String dnsName;
        public int port = 3109;
        public Duration refreshInterval = Duration.ofSeconds(5);
        /**
         * A discovered comet whose calls keep failing (not refused) holds its messages unacknowledged, redelivered,
         * for at most this long; then they are skipped for it (counted) until it answers a probe again. It bounds
         * how long one unreachable comet delays the others' acknowledgements.
         */
        public Duration unreachableHold = Duration.ofSeconds(30);
    }

    public enum DiscoveryMode {
        @com.fasterxml.jackson.annotation.JsonProperty("static") STATIC_LIST,
        @com.fasterxml.jackson.annotation.JsonProperty("dns") DNS
    }
}
