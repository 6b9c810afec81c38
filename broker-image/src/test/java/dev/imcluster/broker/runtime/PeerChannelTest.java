package dev.imcluster.broker.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A peer replaced behind its name (a new pod: same name, new address) is followed within seconds, over real gRPC
 * servers on two loopback addresses with the same port and a name the test re-points.
 */
class PeerChannelTest {

    private final Map<String, List<String>> records = new ConcurrentHashMap<>();
    private final HostResolver dns = host -> {
        List<String> ips = records.get(host);
        if (ips == null) {
            throw new UnknownHostException(host);
        }
        return ips;
    };
    private Server old;
    private Server replacement;
    private PeerChannel peer;

    @AfterEach
    void stop() throws Exception {
        if (peer != null) {
            peer.close();
        }
        for (Server s : new Server[]{old, replacement}) {
            if (s != null) {
                s.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
        }
    }

    private static Server serve(String ip, int port) throws IOException {
        HealthStatusManager health = new HealthStatusManager();
        return GrpcServers.permitPeerKeepAlive(NettyServerBuilder.forAddress(new InetSocketAddress(ip, port)))
                .addService(health.getHealthService())
                .build().start();
    }

    /**
     * The promise is "within seconds" (re-resolved every 500 ms here, reconnected at once); the bound leaves room
     * for a 2-core machine shared by several builds, where a 5 s bound failed once with the code working.
     */
    private static final Duration FOLLOWS_WITHIN = Duration.ofSeconds(15);

    private boolean answers() {
        try {
            return HealthGrpc.newBlockingStub(peer.channel()).withDeadlineAfter(1, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus()
                    == HealthCheckResponse.ServingStatus.SERVING;
        } catch (StatusRuntimeException e) {
            return false;
        }
    }

    /** A peer on 127.0.0.1 named peer.test, and a channel to it that answers; returns its port. */
    private int connectToAPeerOn127001() throws IOException {
        old = serve("127.0.0.1", 0);
        records.put("peer.test", List.of("127.0.0.1"));
        peer = new PeerChannel(ManagedChannelBuilder.forTarget("peer.test:" + old.getPort()).usePlaintext(),
                Duration.ofMillis(500), dns);
        assertThat(answers()).isTrue();
        return old.getPort();
    }

    @Test
    void aPeerReplacedAtANewAddressBehindTheSameNameIsReachedWithinSeconds() throws Exception {
        int port = connectToAPeerOn127001();

        // The old peer goes; calls fail for a while (the channel backs off), then the name moves to the new one.
        old.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        old = null;
        await().atMost(Duration.ofSeconds(10)).until(() -> !answers());
        for (int i = 0; i < 5; i++) {
            assertThat(answers()).as("nothing serves yet").isFalse(); // deepens grpc's reconnect backoff
        }
        replacement = serve("127.0.0.2", port);
        long moved = System.nanoTime();
        records.put("peer.test", List.of("127.0.0.2"));
        await().atMost(FOLLOWS_WITHIN).pollInterval(Duration.ofMillis(100)).until(this::answers);
        System.out.printf("peer replaced behind its name: answering again %d ms after the name moved%n",
                (System.nanoTime() - moved) / 1_000_000);
    }

    @Test
    void aPeerThatComesBackAtTheSameAddressIsReconnectedWithoutWaitingOutTheBackoff() throws Exception {
        int port = connectToAPeerOn127001();
        old.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        // 30 s of refused connections: grpc's own backoff would be past 20 s per attempt by now
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() - until < 0) {
            assertThat(answers()).isFalse();
            Thread.sleep(200);
        }
        old = serve("127.0.0.1", port); // a restarted container keeps its pod's address
        long back = System.nanoTime();
        await().atMost(FOLLOWS_WITHIN).pollInterval(Duration.ofMillis(100)).until(this::answers);
        System.out.printf("peer restarted at the same address: answering again %d ms after it listened%n",
                (System.nanoTime() - back) / 1_000_000);
    }
}
