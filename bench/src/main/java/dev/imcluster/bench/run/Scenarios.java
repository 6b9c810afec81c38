package dev.imcluster.bench.run;

import dev.imcluster.bench.cluster.BrokerEndpoints;
import dev.imcluster.bench.cluster.BrokerMemory;
import dev.imcluster.bench.core.Deliveries;
import dev.imcluster.bench.core.Result;
import dev.imcluster.bench.core.Workload;
import dev.imcluster.bench.net.BenchClient;
import dev.imcluster.bench.net.ClientLoop;
import dev.imcluster.bench.net.Connector;
import dev.imcluster.bench.net.GoimClientHandler;
import dev.imcluster.bench.net.MqttSubscriberHandler;
import dev.imcluster.bench.net.NatsSubscriberHandler;
import dev.imcluster.bench.net.RedisSubscriberHandler;
import dev.imcluster.bench.pub.GrpcPublisher;
import dev.imcluster.bench.pub.HttpPushPublisher;
import dev.imcluster.bench.pub.NatsPublisher;
import dev.imcluster.bench.pub.Publisher;
import dev.imcluster.bench.pub.RedisPublisher;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The bench's scenarios against a running cluster (or peer server): each connects its subscribers, runs a
 * {@link FanoutRun}, closes everything it opened and returns the result. Every run uses room, topic, subject
 * and key names of its own, so a run never sees an earlier run's messages.
 */
public final class Scenarios {
    /** The push operation the goim clients accept; logic.topicOperation's default, so topics reach them too. */
    public static final int OPERATION = 1000;
    private static final Duration CONNECT_TIMEOUT = Duration.ofMinutes(3);
    private static final int CONNECT_CONCURRENCY = 256;
    private static final AtomicInteger RUNS = new AtomicInteger();

    public enum Via { grpc, http }

    private final ClientLoop loop;
    private final PrintStream progress;

    private FanoutRun.WindowListener windowListener = (from, to) -> { };

    public Scenarios(ClientLoop loop, PrintStream progress) {
        this.loop = loop;
        this.progress = progress;
    }

    /** Told each following run's measured window. */
    public void onWindow(FanoutRun.WindowListener listener) {
        this.windowListener = listener;
    }

    private FanoutRun fanout(String scenario, String system, Workload w, int[] fanout, Deliveries d,
                             long... serverPids) {
        return new FanoutRun(scenario, system, w, fanout, d, progress).onWindow(windowListener).cpuOf(serverPids);
    }

    private static String runId() {
        return Long.toString(ProcessHandle.current().pid(), 36) + "r" + RUNS.incrementAndGet();
    }

    /** Room broadcast: S goim TCP clients in R rooms, publishers push through gRPC Publish or HTTP. */
    public Result room(BrokerEndpoints b, Workload w, Via via) throws InterruptedException {
        w.validate();
        String run = runId();
        Deliveries d = new Deliveries();
        GoimClientHandler.Stats stats = new GoimClientHandler.Stats();
        List<GoimClientHandler> clients = Connector.connect(loop, new InetSocketAddress(b.host(), b.cometTcp()), 0,
                w.subscribers, i -> new GoimClientHandler(i + 1, null, "live://" + run + "-" + (i % w.rooms),
                        OPERATION, 30_000, d, stats), CONNECT_CONCURRENCY, CONNECT_TIMEOUT);
        try {
            return withClientErrors(roomPush(b, w, via, run, d), stats);
        } finally {
            clients.forEach(BenchClient::close);
        }
    }

    /**
     * The same room broadcast to S MQTT clients of comet's MQTT listener (the broker must have it on), each
     * subscribed at QoS 0 to {@code room/live/<room>}, the goim room {@code live://<room>}; pushed through HTTP.
     */
    public Result roomMqtt(BrokerEndpoints b, Workload w) throws InterruptedException {
        w.validate();
        if (b.cometMqtt() <= 0) {
            throw new IllegalArgumentException("the broker has no MQTT listener (comet.mqtt.enabled)");
        }
        String run = runId();
        Deliveries d = new Deliveries();
        MqttSubscriberHandler.Stats stats = new MqttSubscriberHandler.Stats();
        List<MqttSubscriberHandler> clients = Connector.connect(loop,
                new InetSocketAddress(b.host(), b.cometMqtt()), 0, w.subscribers,
                i -> new MqttSubscriberHandler(run + "-m" + i, i + 1, "room/live/" + run + "-" + (i % w.rooms), d,
                        stats), CONNECT_CONCURRENCY, CONNECT_TIMEOUT);
        try {
            return withClientErrors(roomPush(b, w, Via.http, run, d), stats.closedUnexpectedly.sum(),
                    stats.protocolErrors.sum());
        } finally {
            clients.forEach(BenchClient::close);
        }
    }

    /** Pushes to the rooms {@code live://<run>-<i>} through gRPC Publish or HTTP, its subscribers reporting to d. */
    private Result roomPush(BrokerEndpoints b, Workload w, Via via, String run, Deliveries d)
            throws InterruptedException {
        try (Publisher publisher = via == Via.grpc
                ? new GrpcPublisher(loop, b.host(), b.logicGrpc(), w.publishers, w.rooms,
                        i -> "live://" + run + "-" + i)
                : new HttpPushPublisher(loop, b.host(), b.logicHttp(), w.httpConnections,
                        w.rooms, i -> "/goim/push/room?operation=" + OPERATION + "&type=live&room=" + run + "-" + i,
                        "HTTP /goim/push/room")) {
            return fanout("room", "imcluster", w, w.membersPerRoom(), d, b.serverPids()).run(publisher);
        }
    }

    /** Push by key: S goim TCP clients, each pushed to by its key through HTTP /goim/push/keys. */
    public Result key(BrokerEndpoints b, Workload w) throws InterruptedException {
        w.validate();
        String run = runId();
        Deliveries d = new Deliveries();
        GoimClientHandler.Stats stats = new GoimClientHandler.Stats();
        List<GoimClientHandler> clients = Connector.connect(loop, new InetSocketAddress(b.host(), b.cometTcp()), 0,
                w.subscribers, i -> new GoimClientHandler(i + 1, run + "-k" + i, "live://" + run + "-keys",
                        OPERATION, 30_000, d, stats), CONNECT_CONCURRENCY, CONNECT_TIMEOUT);
        int[] one = new int[w.subscribers];
        java.util.Arrays.fill(one, 1);
        try (Publisher publisher = new HttpPushPublisher(loop, b.host(), b.logicHttp(),
                w.httpConnections, w.subscribers,
                i -> "/goim/push/keys?operation=" + OPERATION + "&keys=" + run + "-k" + i, "HTTP /goim/push/keys")) {
            Result r = fanout("key", "imcluster", w, one, d, b.serverPids()).run(publisher);
            return withClientErrors(r, stats);
        } finally {
            clients.forEach(BenchClient::close);
        }
    }

    /** Topic pub/sub: S gRPC Subscribe streams on comet, R topics, publishers call gRPC Publish on logic. */
    public Result topic(BrokerEndpoints b, Workload w) throws Exception {
        return topic(b, w, 0);
    }

    /** {@link #topic(BrokerEndpoints, Workload)} with Subscribe's max_batch (0: one message per response). */
    public Result topic(BrokerEndpoints b, Workload w, int maxBatch) throws Exception {
        w.validate();
        String run = runId();
        Deliveries d = new Deliveries();
        long before = BrokerMemory.sum(BrokerMemory.scrape(b.host(), b.cometAdmin()),
                "imcluster_comet_topic_subscribers", "");
        try (GrpcSubscribers subs = new GrpcSubscribers(loop, b.host(), b.cometPubSub(), d)) {
            for (int i = 0; i < w.subscribers; i++) {
                subs.subscribe("live://" + run + "-" + (i % w.rooms), maxBatch);
            }
            awaitTopicSubscribers(b, before + w.subscribers, subs);
            try (Publisher publisher = new GrpcPublisher(loop, b.host(), b.logicGrpc(), w.publishers,
                    w.rooms, i -> "live://" + run + "-" + i)) {
                Result r = fanout("topic", "imcluster", w, w.membersPerRoom(), d, b.serverPids())
                        .run(publisher);
                long failed = subs.failed();
                return failed == 0 ? r : withExtraErrors(r, failed, failed + " subscriptions ended early");
            }
        } finally {
            awaitTopicSubscribersGone(b, before);
        }
    }

    /**
     * Waits (at most 30 s) until comet has let this run's streams go: the next run counts its own subscribers on
     * top of comet's count, and streams still closing would make it wait for more than it opened.
     */
    private void awaitTopicSubscribersGone(BrokerEndpoints b, long before) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long now;
        while ((now = BrokerMemory.sum(BrokerMemory.scrape(b.host(), b.cometAdmin()),
                "imcluster_comet_topic_subscribers", "")) > before) {
            if (System.nanoTime() > deadline) {
                progress.println("comet still reports " + now + " topic subscribers, " + before + " before the run");
                return;
            }
            Thread.sleep(100);
        }
    }

    private static void awaitTopicSubscribers(BrokerEndpoints b, long expected, GrpcSubscribers subs)
            throws Exception {
        long deadline = System.nanoTime() + CONNECT_TIMEOUT.toNanos();
        while (true) {
            long now = BrokerMemory.sum(BrokerMemory.scrape(b.host(), b.cometAdmin()),
                    "imcluster_comet_topic_subscribers", "");
            if (now >= expected) {
                return;
            }
            if (subs.failed() > 0) {
                throw new IllegalStateException(subs.failed() + " gRPC subscriptions failed: " + subs.firstError());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("comet reports " + now + " topic subscribers, expected " + expected);
            }
            Thread.sleep(100);
        }
    }

    /** The peers' room fan-out: which server and how. */
    public enum Peer {
        nats("nats-server core"), jetstream("nats-server JetStream"), redis("Redis pub/sub");

        public final String label;

        Peer(String label) {
            this.label = label;
        }
    }

    /**
     * The same room fan-out on a peer: S subscriber connections (one per subscriber, as goim clients have),
     * subject or channel per room. JetStream: a file-backed stream over the rooms' subjects and one durable push
     * consumer per subscriber (no acks), delivering to the subscriber's own subject. {@code serverPid} is the
     * server's process id for its CPU time (-1: not on this machine).
     */
    public Result peer(Peer peer, String host, int port, long serverPid, Workload w) throws Exception {
        w.validate();
        String run = runId();
        Deliveries d = new Deliveries();
        LongAdder serverErrors = new LongAdder();
        String[] rooms = new String[w.rooms];
        for (int i = 0; i < w.rooms; i++) {
            rooms[i] = peer == Peer.redis ? "bench:" + run + ":" + i : "bench." + run + "." + i;
        }
        InetSocketAddress remote = new InetSocketAddress(host, port);
        Connection admin = null;
        String stream = "BENCH_" + run.toUpperCase(java.util.Locale.ROOT);
        try {
            List<? extends BenchClient> clients;
            if (peer == Peer.redis) {
                clients = Connector.connect(loop, remote, 0, w.subscribers,
                        i -> new RedisSubscriberHandler(rooms[i % w.rooms], d, serverErrors),
                        CONNECT_CONCURRENCY, CONNECT_TIMEOUT);
            } else {
                if (peer == Peer.jetstream) {
                    admin = Nats.connect("nats://" + host + ":" + port);
                    JetStreamManagement jsm = admin.jetStreamManagement();
                    jsm.addStream(StreamConfiguration.builder().name(stream).subjects("bench." + run + ".*")
                            .storageType(StorageType.File).build());
                    for (int i = 0; i < w.subscribers; i++) {
                        jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable("s" + i)
                                .deliverSubject("dlv." + run + "." + i).filterSubject(rooms[i % w.rooms])
                                .ackPolicy(AckPolicy.None).deliverPolicy(DeliverPolicy.New).build());
                    }
                }
                boolean js = peer == Peer.jetstream;
                clients = Connector.connect(loop, remote, 0, w.subscribers,
                        i -> new NatsSubscriberHandler(js ? "dlv." + run + "." + i : rooms[i % w.rooms], d,
                                serverErrors), CONNECT_CONCURRENCY, CONNECT_TIMEOUT);
            }
            try (Publisher publisher = peer == Peer.redis ? new RedisPublisher(host, port, w.publishers, rooms)
                    : new NatsPublisher("nats://" + host + ":" + port, peer == Peer.jetstream,
                    w.publishers, rooms)) {
                Result r = fanout("room", peer.label, w, w.membersPerRoom(), d, serverPid).run(publisher);
                return serverErrors.sum() == 0 ? r
                        : withExtraErrors(r, serverErrors.sum(), serverErrors.sum() + " server errors");
            } finally {
                clients.forEach(BenchClient::close);
            }
        } finally {
            if (admin != null) {
                try {
                    admin.jetStreamManagement().deleteStream(stream);
                } catch (Exception e) {
                    progress.println("could not delete stream " + stream + ": " + e);
                }
                admin.close();
            }
        }
    }

    private static Result withClientErrors(Result r, GoimClientHandler.Stats stats) {
        return withClientErrors(r, stats.closedUnexpectedly.sum(), stats.protocolErrors.sum());
    }

    private static Result withClientErrors(Result r, long closed, long bad) {
        if (closed == 0 && bad == 0) {
            return r;
        }
        return withExtraErrors(r, closed + bad, closed + " clients disconnected by the server, " + bad
                + " protocol errors");
    }

    static Result withExtraErrors(Result r, long errors, String note) {
        return r.withErrors(errors, note);
    }
}
