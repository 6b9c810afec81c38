package dev.imcluster.broker.comet;

import static dev.imcluster.broker.comet.CometHarness.auth;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.imcluster.broker.testinfra.BrokerJvm;
import dev.imcluster.broker.testinfra.MosquittoServerProcess;
import dev.imcluster.broker.testing.TestSupport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Issue 10's fault tests over real processes: logic, two comets and one job, each a child JVM started as a pod
 * would run it ({@link BrokerJvm}), over each durable queue (a KRaft Kafka node, nats-server -js, redis-server
 * Streams, mosquitto) and a real Redis session store. A steady stream of pushes, each a unique id, runs while a fault
 * is injected; a push that logic refuses is retried with the same id, as a client behind a Service would, so
 * "published" is every id logic accepted (HTTP 200). The faults: a slow consumer, the session store's restart and
 * its SIGKILL, a SIGKILL of the only job (then its restart), the queue server's restart and its SIGKILL, a SIGKILL of
 * a comet whose clients reconnect to the other comet, logic replaced at a new address behind the name the comets use
 * (a hosts file as its DNS record), and a comet that hangs (SIGSTOP) with its clients connected.
 *
 * <p>Every fault runs on every backend, in CI too.
 * {@code -Dimcluster.faults.backend=nats} (or kafka, redis, mqtt) runs the faults other than the queue server's restart
 * on that backend only, for a quicker run by hand. A job killed while
 * another job takes over is covered for every backend by {@link QueueBackendsEndToEndTest}.
 */
class FaultInjectionTest {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final Path LOGS = Path.of("target", "fault-logs");

    /** The texts of the pushes a client has received since the last call, appended to {@code into}. */
    static List<String> drain(GoimClient c, List<String> into) {
        into.addAll(c.drainPushes());
        return into;
    }

    /** Waits until the client has received every one of {@code ids}; returns all it received. */
    static List<String> awaitAll(GoimClient c, List<String> received, List<String> ids, String who) {
        Set<String> want = new HashSet<>(ids);
        await(who + " receives every accepted push").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                .until(() -> drain(c, received).containsAll(want));
        return received;
    }

    static long duplicates(List<String> received) {
        return received.size() - new HashSet<>(received).size();
    }

    @Nested
    class Kafka extends Faults {
    }

    @Nested
    class Nats extends Faults {
    }

    @Nested
    class Redis extends Faults {
    }

    @Nested
    class Mqtt extends Faults {
        /**
         * Mosquitto's persistence is a snapshot every {@code autosave_interval} (5 s, as the operator's managed
         * Mosquitto runs; see {@link dev.imcluster.broker.testinfra.MosquittoServerProcess}), plus a margin for the
         * push in flight: a crash loses at most what it accepted since the last snapshot.
         */
        @Override
        Duration crashLossWindow() {
            return Duration.ofSeconds(MosquittoServerProcess.AUTOSAVE_SECONDS + 1L);
        }
    }

    /** The faults every durable backend must survive; a nested class per backend names it. */
    abstract static class Faults extends BackendCluster.PerBackend {
        BackendCluster cluster;
        /** Comets reach logic by this name, through {@link #hostsFile} (a Service name and its DNS record). */
        private String logicName;
        private Path hostsFile;

        @BeforeAll
        void startCluster() {
            logicName = "logic." + backend() + ".test";
            hostsFile = LOGS.resolve(backend()).toAbsolutePath().resolve("hosts");
            pointLogicNameAt("127.0.0.1");
            cluster = BackendCluster.builder(backend(), LOGS)
                    .role("comet", "comet.onlineReportInterval", "1s") // a lost logic shows in readiness soon
                    .role("comet", "comet.protocol.sendQueueSize", 64) // a stalled client overflows soon
                    // The JVM's DNS cache stays at the broker's default (5 s), as in a pod.
                    .cometsReachLogicAs(logicName, List.of("-Djdk.net.hosts.file=" + hostsFile))
                    .start();
        }

        @AfterAll
        void stopCluster() {
            if (cluster != null) {
                cluster.close();
            }
        }

        /** Points the comets' name for logic at {@code ip}, as a Service's DNS record follows a new pod. */
        private void pointLogicNameAt(String ip) {
            try {
                Files.createDirectories(hostsFile.getParent());
                Path next = hostsFile.resolveSibling("hosts.next");
                Files.writeString(next, "127.0.0.1 localhost\n" + ip + " " + logicName + "\n");
                Files.move(next, hostsFile, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void assumeEveryFault() {
            Assumptions.assumeTrue(selectedBy("imcluster.faults.backend"),
                    "-Dimcluster.faults.backend limits this fault to " + System.getProperty("imcluster.faults.backend")
                            + "; it runs on every backend without it");
        }

        // ---- helpers ----

        GoimClient client(BrokerJvm comet, long mid, String key, String room) {
            return cluster.client(comet, mid, key, room, 1000);
        }

        // ---- faults ----

        @Test
        @Order(1)
        void aStalledClientIsCutOffWhileTheOthersInItsRoomMissNothing() throws Exception {
            assumeEveryFault();
            String room = "slow";
            GoimClient.Tcp stalled = new GoimClient.Tcp(cluster.cometA().port("comet.tcp.port"), 4096);
            cluster.closeAtEnd(stalled);
            // Authenticate by hand: the stalled client never reads.
            stalled.sendBytes(GoimClient.frame(1, 7, 1, auth(1, "stalled", "live://" + room, 1000)
                    .getBytes(StandardCharsets.UTF_8)));
            GoimClient onA = client(cluster.cometA(), 2, "slow-reader-a", "live://" + room);
            GoimClient onB = client(cluster.cometB(), 3, "slow-reader-b", "live://" + room);
            double slowBefore = cluster.cometA().metric("imcluster_comet_disconnects_total",
                    "reason=\"slow_consumer\"");

            String filler = ":" + "z".repeat(3000);
            try (PushStream stream = new PushStream(backend() + "-slow", n -> pushRoom(room, n), filler)) {
                stream.start(Duration.ofMillis(5));
                await("the stalled client is disconnected").atMost(WAIT).pollInterval(Duration.ofMillis(500))
                        .until(() -> cluster.cometA().metric("imcluster_comet_disconnects_total",
                                "reason=\"slow_consumer\"") > slowBefore);
                int atCut = stream.acceptedCount();
                stream.awaitAccepted(atCut + 100);
                stream.stop();
                List<String> ids = stream.accepted();
                List<String> gotA = awaitAll(onA, new ArrayList<>(), ids, "the reader on comet A");
                List<String> gotB = awaitAll(onB, new ArrayList<>(), ids, "the reader on comet B");
                double drops = cluster.cometA().metric("imcluster_comet_drops_total", "reason=\"slow_consumer\"")
                        + cluster.cometA().metric("imcluster_comet_drops_total", "reason=\"closed\"");
                System.out.printf("[%s] slow consumer: published %d (%d refused attempts), readers on A and B "
                                + "received %d and %d distinct, drops counted on comet A %.0f%n", backend(),
                        ids.size(), stream.refused(), new HashSet<>(gotA).size(), new HashSet<>(gotB).size(), drops);
                assertThat(drops).as("messages dropped for the stalled client, counted").isPositive();
            }
        }

        @Test
        @Order(2)
        void theSessionStoreRestartsMidStreamAndKeyPushesResumeWithNothingAcceptedLost() throws Exception {
            assumeEveryFault();
            sessionStoreOutage("restart", 21, () -> cluster.sessionRedis().stop());
        }

        /**
         * The session store's redis-server is SIGKILLed (no shutdown save) and started on its append-only file: the
         * sessions written before the kill are there again, so key pushes to the connected client resume by
         * themselves and reach it, with no client action.
         */
        @Test
        @Order(9)
        void theSessionStoreKilledMidStreamAndRestartedKeepsItsSessionsAndKeyPushesResume() throws Exception {
            assumeEveryFault();
            sessionStoreOutage("kill", 23, () -> cluster.sessionRedis().kill());
        }

        /**
         * A key push stream to a client on comet A; {@code down} takes the session store away mid-stream: key pushes
         * are refused (503) while it is down, resume once it is started again, and every accepted one arrives, once;
         * then a new client connects.
         */
        private void sessionStoreOutage(String label, long mid, Runnable down) throws Exception {
            String key = label + "-key";
            GoimClient target = client(cluster.cometA(), mid, key, "live://sr");
            List<String> got = new ArrayList<>();
            try (PushStream stream = new PushStream(backend() + "-store-" + label, n -> pushKey(key, n), "")) {
                stream.start(Duration.ofMillis(10));
                stream.awaitAccepted(100);
                down.run();
                stream.awaitRefused(1); // key pushes need the store: refused (503) while it is down
                cluster.sessionRedis().start();
                // no manual action: the next accepted pushes come by themselves
                stream.awaitAccepted(stream.acceptedCount() + 100);
                stream.stop();
                awaitAll(target, got, stream.accepted(), "the key's client");
                assertThat(duplicates(got)).as(backend() + ": repeats at the key's client").isZero();
                System.out.printf("[%s] session store %s: published %d, delivered %d (%d duplicates), "
                                + "%d refused attempts retried%n", backend(), label, stream.acceptedCount(), got.size(),
                        duplicates(got), stream.refused());
            }
            // and new clients connect again
            GoimClient fresh = await().atMost(WAIT).ignoreExceptions()
                    .until(() -> client(cluster.cometB(), mid + 1, "after-" + label, "live://sr"), c -> true);
            assertThat(fresh.heartbeat()).isPositive();
        }

        @Test
        @Order(3)
        void theOnlyJobKilledMidStreamAndRestartedLosesNothing() throws Exception {
            assumeEveryFault();
            String room = "job-kill";
            GoimClient onA = client(cluster.cometA(), 31, "jk-a", "live://" + room);
            GoimClient onB = client(cluster.cometB(), 32, "jk-b", "live://" + room);
            try (PushStream stream = new PushStream(backend() + "-jobkill", n -> pushRoom(room, n), "")) {
                stream.start(Duration.ofMillis(10));
                stream.awaitAccepted(150);
                cluster.job().kill(); // SIGKILL: nothing acknowledged after this, nothing handed over
                int atKill = stream.acceptedCount();
                stream.awaitAccepted(atKill + 100); // the queue keeps accepting with no job at all
                cluster.job().start();
                cluster.job().awaitReady();
                stream.awaitAccepted(stream.acceptedCount() + 100);
                stream.stop();
                List<String> ids = stream.accepted();
                List<String> gotA = awaitAll(onA, new ArrayList<>(), ids, "the client on comet A");
                List<String> gotB = awaitAll(onB, new ArrayList<>(), ids, "the client on comet B");
                System.out.printf("[%s] only job killed and restarted: published %d, delivered %d and %d "
                                + "(duplicates %d and %d)%n", backend(), ids.size(), gotA.size(),
                        gotB.size(), duplicates(gotA), duplicates(gotB));
            }
        }

        @Test
        @Order(4)
        void theQueueServerRestartsMidStreamAndServiceResumesWithNothingAcceptedLost() throws Exception {
            QueueOutage o = queueOutage("queue-restart", 41, () -> cluster.queue().stop(), Duration.ZERO);
            System.out.printf("[%s] queue restart: published %d, delivered %d and %d (duplicates %d and %d), "
                            + "%d refused attempts retried%n", backend(), o.ids().size(), o.gotA().size(),
                    o.gotB().size(), duplicates(o.gotA()), duplicates(o.gotB()), o.refused());
        }

        /**
         * What a crash of the queue server (a SIGKILL) may lose: the pushes accepted this long before it. Zero for the
         * servers that write each message before acknowledging it (Kafka, JetStream, Redis with its append-only
         * file).
         */
        Duration crashLossWindow() {
            return Duration.ZERO;
        }

        /** {@code mayMiss}: the accepted pushes that the outage was allowed to lose (in the crash window). */
        record QueueOutage(List<String> ids, List<String> mayMiss, List<String> gotA, List<String> gotB,
                           long refused) {
            /** The accepted pushes that {@code got} lacks. */
            List<String> missing(List<String> got) {
                List<String> missing = new ArrayList<>(ids);
                missing.removeAll(new HashSet<>(got));
                return missing;
            }
        }

        /**
         * A push stream to {@code room} with a client on each comet ({@code mid} and the next); {@code down} takes
         * the queue server away mid-stream, the outage must show as refusals (503, never a 200 for a push that went
         * nowhere), the server starts again, and both clients must receive every accepted push but those accepted
         * within {@code lossWindow} before {@code down} (which the caller bounds); then logic and job are ready
         * again.
         */
        QueueOutage queueOutage(String room, long mid, Runnable down, Duration lossWindow) throws Exception {
            GoimClient onA = client(cluster.cometA(), mid, room + "-a", "live://" + room);
            GoimClient onB = client(cluster.cometB(), mid + 1, room + "-b", "live://" + room);
            QueueOutage outage;
            try (PushStream stream = new PushStream(backend() + "-" + room, n -> pushRoom(room, n), "")) {
                stream.start(Duration.ofMillis(10));
                stream.awaitAccepted(100);
                long downAt = System.nanoTime();
                down.run();
                stream.awaitRefused(1);
                cluster.queue().start();
                stream.awaitAccepted(stream.acceptedCount() + 150);
                stream.stop();
                List<String> ids = stream.accepted();
                List<String> mayMiss = lossWindow.isZero() ? List.of()
                        : stream.acceptedBetween(downAt - lossWindow.toNanos(), downAt);
                List<String> due = new ArrayList<>(ids);
                due.removeAll(new HashSet<>(mayMiss));
                List<String> gotA = awaitAll(onA, new ArrayList<>(), due, "the client on comet A");
                List<String> gotB = awaitAll(onB, new ArrayList<>(), due, "the client on comet B");
                if (!mayMiss.isEmpty()) {
                    // The window's pushes that survived come with the rest, or soon after; the ones still missing
                    // after that are lost, and the assertions bound which they may be.
                    try {
                        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(100))
                                .until(() -> drain(onA, gotA).containsAll(mayMiss)
                                        && drain(onB, gotB).containsAll(mayMiss));
                    } catch (org.awaitility.core.ConditionTimeoutException someLost) {
                        drain(onA, gotA);
                        drain(onB, gotB);
                    }
                }
                outage = new QueueOutage(ids, mayMiss, gotA, gotB, stream.refused());
            }
            await().atMost(WAIT).until(() -> cluster.logic().readyz().statusCode() == 200
                    && cluster.job().readyz().statusCode() == 200);
            return outage;
        }

        /**
         * A comet is SIGKILLed; its clients notice the closed connection and reconnect to the other comet (as a
         * goim client does, behind the comet Service). Zero lost after reconnect means: every push accepted after
         * a client's Auth reply on its new comet reaches it. Pushes accepted between the kill and that Auth reply
         * may miss the moving client (goim has no offline store; the window is printed), and the client that never
         * moved receives every push, so the dead comet holds nothing back.
         */
        @Test
        @Order(5)
        void aCometKilledMidStreamItsClientsReconnectElsewhereAndMissNothingAfterwards() throws Exception {
            assumeEveryFault();
            String room = "comet-kill";
            List<GoimClient> movers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                movers.add(client(cluster.cometA(), 51 + i, "ck-" + i, "live://" + room));
            }
            GoimClient stays = client(cluster.cometB(), 60, "ck-stays", "live://" + room);
            List<String> staysGot = new ArrayList<>();
            try (PushStream stream = new PushStream(backend() + "-cometkill", n -> pushRoom(room, n), "")) {
                stream.start(Duration.ofMillis(10));
                stream.awaitAccepted(100);
                cluster.cometA().kill();
                long killedAt = System.nanoTime();
                List<Long> reconnectedAt = new ArrayList<>();
                List<GoimClient> moved = new ArrayList<>();
                for (int i = 0; i < movers.size(); i++) {
                    movers.get(i).awaitClosed();
                    int n = i;
                    moved.add(await().atMost(WAIT).ignoreExceptions()
                            .until(() -> client(cluster.cometB(), 51 + n, "ck-" + n, "live://" + room), c -> true));
                    reconnectedAt.add(System.nanoTime());
                }
                stream.awaitAccepted(stream.acceptedCount() + 150);
                stream.stop();
                List<String> all = stream.accepted();
                awaitAll(stays, staysGot, all, "the client that stayed on comet B");
                for (int i = 0; i < moved.size(); i++) {
                    List<String> after = stream.acceptedAfter(reconnectedAt.get(i));
                    // 150 were accepted after the last reconnect; the one in flight at that moment was sent before
                    assertThat(after).as("pushes accepted after reconnect %d", i).hasSizeGreaterThanOrEqualTo(100);
                    awaitAll(moved.get(i), new ArrayList<>(), after, "reconnected client " + i);
                }
                int window = stream.acceptedBetween(killedAt, reconnectedAt.get(reconnectedAt.size() - 1)).size();
                System.out.printf("[%s] comet killed: published %d; the client that stayed got all %d "
                                + "(duplicates %d); 3 clients reconnected to comet B within %d ms of the kill, "
                                + "%d pushes were accepted in that window (at most those may have missed them)%n",
                        backend(), all.size(), new HashSet<>(staysGot).size(), duplicates(staysGot),
                        (reconnectedAt.get(reconnectedAt.size() - 1) - killedAt) / 1_000_000, window);
            } finally {
                cluster.cometA().start();
                cluster.cometA().awaitReady();
            }
            // the job takes the restarted comet back: a new push reaches a client on it
            GoimClient back = client(cluster.cometA(), 70, "ck-back", "live://" + room);
            await().atMost(WAIT).pollInterval(Duration.ofMillis(300)).until(() -> {
                pushRoom(room, "back");
                return back.drainPushes().contains("back");
            });
        }

        /**
         * logic is replaced as a pod is: the new one (same name and port, a new address) is up before the old one
         * is SIGKILLed, and pushes go through the new one, so they never stop. The comets still call the old
         * address: they turn unready (readiness means "accepts new clients") but keep their clients, and every
         * push accepted meanwhile reaches them, since job's delivery does not depend on readiness. Once the name
         * points at the new address, the comets follow it within seconds (PeerChannel) and are ready again.
         */
        @Test
        @Order(6)
        void cometsThatLoseLogicTurnUnreadyKeepReceivingEveryPushAndFollowTheReplacedLogicWithinSeconds()
                throws Exception {
            assumeEveryFault();
            String room = "logic-replaced";
            GoimClient onA = client(cluster.cometA(), 81, "lr-a", "live://" + room);
            GoimClient onB = client(cluster.cometB(), 82, "lr-b", "live://" + room);
            double skippedBefore = cluster.job().metric("imcluster_job_comet_skipped_total");
            try (PushStream stream = new PushStream(backend() + "-logicswap", n -> pushRoom(room, n), "")) {
                stream.start(Duration.ofMillis(10));
                stream.awaitAccepted(100);
                BrokerJvm old = cluster.logic();
                BrokerJvm replacement = cluster.launch("logic", backend() + "-logic-2", Map.of(
                        "bindAddress", "127.0.0.2", "logic.grpc.port", old.port("logic.grpc.port"))).awaitReady();
                cluster.replaceLogic(replacement); // pushes go through it from now on
                old.kill();
                await("both comets unready: logic unreachable").atMost(WAIT).pollInterval(Duration.ofMillis(200))
                        .until(() -> cluster.cometA().readyz().statusCode() != 200
                                && cluster.cometB().readyz().statusCode() != 200);
                int atUnready = stream.acceptedCount();
                stream.awaitAccepted(atUnready + 200);
                assertThat(List.of(cluster.cometA().readyz().statusCode(), cluster.cometB().readyz().statusCode()))
                        .as("still unready: nothing told them where logic went").doesNotContain(200);
                int acceptedWhileUnready = stream.acceptedCount() - atUnready;

                pointLogicNameAt("127.0.0.2");
                long movedAt = System.nanoTime();
                await("comets ready again, following logic's name").atMost(Duration.ofSeconds(15))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> cluster.cometA().readyz().statusCode() == 200
                                && cluster.cometB().readyz().statusCode() == 200);
                long followedMs = (System.nanoTime() - movedAt) / 1_000_000;
                stream.awaitAccepted(stream.acceptedCount() + 100);
                stream.stop();
                List<String> ids = stream.accepted();
                List<String> gotA = awaitAll(onA, new ArrayList<>(), ids, "the client on comet A");
                List<String> gotB = awaitAll(onB, new ArrayList<>(), ids, "the client on comet B");
                assertThat(cluster.job().metric("imcluster_job_comet_skipped_total")).as("messages skipped for a comet")
                        .isEqualTo(skippedBefore);
                System.out.printf("[%s] logic replaced behind its name: published %d (%d while both comets were "
                                + "unready), each client received all of them (duplicates %d and %d); comets ready "
                                + "again %d ms after the name moved%n", backend(), ids.size(), acceptedWhileUnready,
                        duplicates(gotA), duplicates(gotB), followedMs);
            }
            // and new clients are accepted again, through the new logic
            GoimClient fresh = await().atMost(WAIT).ignoreExceptions()
                    .until(() -> client(cluster.cometA(), 83, "lr-new", "live://" + room), c -> true);
            assertThat(fresh.heartbeat()).isPositive();
        }

        /**
         * A comet hangs (SIGSTOP: its clients stay connected, its calls time out) for longer than the old
         * circuit breaker allowed (3 failed calls), but less than {@code job.comets.unreachableHold}: job holds
         * the messages and redelivers them, so once the comet answers again its client has every one of them.
         */
        @Test
        @Order(7)
        void aCometThatHangsKeepsItsClientsAndGetsEveryPushOnceItAnswersAgain() throws Exception {
            assumeEveryFault();
            String room = "comet-hang";
            GoimClient onA = client(cluster.cometA(), 91, "hang-a", "live://" + room);
            GoimClient onB = client(cluster.cometB(), 92, "hang-b", "live://" + room);
            double skippedBefore = cluster.job().metric("imcluster_job_comet_skipped_total");
            double failuresBefore = cluster.job().metric("imcluster_job_push_failures_total");
            try (PushStream stream = new PushStream(backend() + "-hang", n -> pushRoom(room, n), "")) {
                stream.start(Duration.ofMillis(10));
                stream.awaitAccepted(100);
                cluster.cometB().pause();
                try {
                    await("job's calls to the hung comet time out").atMost(WAIT).pollInterval(Duration.ofMillis(500))
                            .until(() -> cluster.job().metric("imcluster_job_push_failures_total")
                                    >= failuresBefore + 3);
                    Thread.sleep(5_000); // more timed-out attempts: the old breaker skipped the comet by now
                } finally {
                    cluster.cometB().resume();
                }
                stream.awaitAccepted(stream.acceptedCount() + 100);
                stream.stop();
                List<String> ids = stream.accepted();
                List<String> gotA = awaitAll(onA, new ArrayList<>(), ids, "the client on comet A");
                List<String> gotB = awaitAll(onB, new ArrayList<>(), ids, "the client on the comet that hung");
                assertThat(cluster.job().metric("imcluster_job_comet_skipped_total")).as("messages skipped for a comet")
                        .isEqualTo(skippedBefore);
                System.out.printf("[%s] comet hung: published %d, %.0f calls to it failed and were redelivered; "
                                + "both clients received all (duplicates %d and %d)%n", backend(), ids.size(),
                        cluster.job().metric("imcluster_job_push_failures_total") - failuresBefore, duplicates(gotA),
                        duplicates(gotB));
            }
        }

        /**
         * The queue server is SIGKILLed mid-stream (no flush, no goodbye) and started again on its data (Redis with
         * its append-only file, JetStream with its file store, Kafka with its log, which it recovers at start,
         * Mosquitto with its last snapshot). Every push logic accepted reaches both clients, except on MQTT those of
         * its {@link #crashLossWindow}, and no client sees one twice: what job handed to the comets but could not
         * acknowledge before the kill is redelivered, and comet's dedupe window drops the repeat.
         */
        @Test
        @Order(8)
        void theQueueServerKilledMidStreamLosesNothingBeyondItsBoundAndNoClientSeesARepeat() throws Exception {
            QueueOutage o = queueOutage("queue-kill", 81, () -> cluster.queue().kill(), crashLossWindow());
            assertThat(duplicates(o.gotA())).as(backend() + ": repeats on comet A").isZero();
            assertThat(duplicates(o.gotB())).as(backend() + ": repeats on comet B").isZero();
            assertThat(o.gotA()).as(backend() + ": comet A's client got only accepted pushes").isSubsetOf(o.ids());
            assertThat(o.missing(o.gotA())).as(backend() + ": comet A's client missed only pushes of the crash window")
                    .isSubsetOf(o.mayMiss());
            assertThat(o.missing(o.gotB())).as(backend() + ": comet B's client missed only pushes of the crash window")
                    .isSubsetOf(o.mayMiss());
            System.out.printf("[%s] queue SIGKILL: published %d, delivered %d and %d (no repeats), %d refused "
                            + "attempts retried; %d accepted in the %d s crash window, %d of them lost%n", backend(),
                    o.ids().size(), o.gotA().size(), o.gotB().size(), o.refused(), o.mayMiss().size(),
                    crashLossWindow().toSeconds(), o.missing(o.gotA()).size());
        }

        int pushRoom(String room, String body) throws Exception {
            return post(cluster.pushUrl() + "/goim/push/room?operation=1000&type=live&room=" + room, body);
        }

        private int pushKey(String key, String body) throws Exception {
            return post(cluster.pushUrl() + "/goim/push/keys?operation=1000&keys=" + key, body);
        }

        private static int post(String url, String body) throws Exception {
            HttpResponse<String> r = TestSupport.post(url, body);
            return r.statusCode();
        }
    }

    /** Sends one push of a given body and answers its HTTP status. */
    interface Push {
        int send(String body) throws Exception;
    }

    /**
     * A steady stream of pushes with unique ids ("label-0", "label-1", ...; a filler can pad each body). A push
     * that is refused (not 200, or no answer) is retried with the same id on the next tick; accepted ids are kept
     * in order with the time their accepted attempt was sent (so "accepted after T" never includes a push that
     * logic could have queued before T).
     */
    static final class PushStream implements AutoCloseable {
        private final String label;
        private final Push push;
        private final String filler;
        private final List<String> accepted = new CopyOnWriteArrayList<>();
        private final List<Long> acceptedAt = new CopyOnWriteArrayList<>();
        private final AtomicInteger refused = new AtomicInteger();
        private final ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "push-stream");
            t.setDaemon(true);
            return t;
        });

        PushStream(String label, Push push, String filler) {
            this.label = label;
            this.push = push;
            this.filler = filler;
        }

        void start(Duration every) {
            pacer.scheduleWithFixedDelay(this::tick, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        }

        private void tick() {
            String id = label + "-" + accepted.size();
            long sentAt = System.nanoTime();
            boolean ok;
            try {
                ok = push.send(id + filler) == 200;
            } catch (Exception e) {
                ok = false;
            }
            if (ok) {
                acceptedAt.add(sentAt);
                accepted.add(id);
            } else {
                refused.incrementAndGet();
            }
        }

        int acceptedCount() {
            return accepted.size();
        }

        int refused() {
            return refused.get();
        }

        void awaitAccepted(int n) {
            await(label + ": " + n + " pushes accepted").atMost(WAIT).pollInterval(Duration.ofMillis(50))
                    .until(() -> accepted.size() >= n);
        }

        void awaitRefused(int n) {
            await(label + ": " + n + " pushes refused").atMost(WAIT).pollInterval(Duration.ofMillis(50))
                    .until(() -> refused.get() >= n);
        }

        /** Stops the stream; every id accepted so far is final. */
        void stop() throws InterruptedException {
            pacer.shutdown();
            assertThat(pacer.awaitTermination(60, TimeUnit.SECONDS)).as("the push stream stopped").isTrue();
        }

        /** Every accepted id (the body sent was the id plus the filler), in order. */
        List<String> accepted() {
            return filler.isEmpty() ? List.copyOf(accepted) : accepted.stream().map(id -> id + filler).toList();
        }

        List<String> acceptedAfter(long nanoTime) {
            return acceptedBetween(nanoTime, Long.MAX_VALUE);
        }

        List<String> acceptedBetween(long from, long to) {
            List<String> ids = accepted();
            List<String> out = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                long at = acceptedAt.get(i);
                if (at - from > 0 && to - at >= 0) {
                    out.add(ids.get(i));
                }
            }
            return out;
        }

        @Override
        public void close() {
            pacer.shutdownNow();
        }
    }
}
