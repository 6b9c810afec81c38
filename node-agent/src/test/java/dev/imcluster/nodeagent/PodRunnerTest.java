package dev.imcluster.nodeagent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A redis-server pod run for real (Debian's redis-server; skipped without it) against a mock API server: Ready from
 * its tcpSocket probe, restarted after a crash, stopped and deleted for good on deletion.
 */
@EnableKubernetesMockClient(crud = true)
class PodRunnerTest {
    KubernetesClient client;

    @TempDir
    Path dir;

    private PodSync sync;

    @AfterEach
    void stop() {
        if (sync != null) {
            sync.stopAll(1);
        }
    }

    @Test
    void runsRestartsAndDeletesAPod() throws Exception {
        RedisServerBinary.assumeInstalled();
        int port = freePort();
        Pod pod = new PodBuilder().withNewMetadata().withName("redis-0").withNamespace("ns").withUid("u-1")
                .addToLabels(NodeAgent.MANAGED_BY, NodeAgent.OPERATOR).endMetadata()
                .withNewSpec().withNodeName("node-a").addNewContainer().withName("redis").withImage("redis:7")
                .withCommand("redis-server", "--port", Integer.toString(port), "--save", "", "--appendonly", "no")
                .withNewReadinessProbe().withNewTcpSocket().withPort(new IntOrString(port)).endTcpSocket()
                .withPeriodSeconds(1).endReadinessProbe()
                .endContainer().endSpec().build();
        client.pods().inNamespace("ns").resource(pod).create();
        sync = new PodSync(client, new PodRunner.Context(client, "node-a", dir, new IpPool("127.0.0."),
                new LocalCommand(dir.resolve("hosts"), dir.resolve("broker.jar"), List.of())));

        sync.sync(List.of(pod));
        Path pidFile = dir.resolve("ns_redis-0/pid");
        await().atMost(Duration.ofSeconds(30)).until(() -> latest().map(ContainerStatus::getReady).orElse(false));
        long pid = Long.parseLong(Files.readString(pidFile));
        assertThat(ProcessHandle.of(pid)).hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
        assertThat(Files.readString(dir.resolve("ns_redis-0/redis.log"))).contains("=== ").contains("start #0");

        ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        await().atMost(Duration.ofSeconds(30)).until(() -> latest().map(s -> s.getRestartCount() == 1
                && Boolean.TRUE.equals(s.getReady())).orElse(false));
        long restarted = Long.parseLong(Files.readString(pidFile));
        assertThat(restarted).isNotEqualTo(pid);

        Pod deleting = new PodBuilder(pod).editMetadata().withDeletionTimestamp("2026-01-01T00:00:00Z")
                .withDeletionGracePeriodSeconds(5L).endMetadata().build();
        sync.sync(List.of(deleting));
        await().atMost(Duration.ofSeconds(30)).until(() -> client.pods().inNamespace("ns").withName("redis-0").get() == null);
        assertThat(ProcessHandle.of(restarted).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(pidFile).doesNotExist();
    }

    @Test
    void onlyAPreStopSleepIsHonoured() {
        PodRunner.Context ctx = new PodRunner.Context(client, "node-a", dir, new IpPool("127.0.0."),
                new LocalCommand(dir.resolve("hosts"), dir.resolve("broker.jar"), List.of()));
        assertThat(new PodRunner(ctx, withPreStop(List.of("sleep", "7"))).preStopSleepSeconds()).isEqualTo(7);
        assertThat(new PodRunner(ctx, withPreStop(List.of("sh", "-c", "sleep 7"))).preStopSleepSeconds()).isEqualTo(-1);
        assertThat(new PodRunner(ctx, withPreStop(List.of("sleep", "x"))).preStopSleepSeconds()).isEqualTo(-1);
        assertThat(new PodRunner(ctx, withPreStop(null)).preStopSleepSeconds()).isEqualTo(-1);
    }

    private static Pod withPreStop(List<String> command) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName("p").withNamespace("ns").withUid("u").endMetadata();
        return command == null
                ? b.withNewSpec().addNewContainer().withName("c").endContainer().endSpec().build()
                : b.withNewSpec().addNewContainer().withName("c").withNewLifecycle().withNewPreStop().withNewExec()
                        .withCommand(command).endExec().endPreStop().endLifecycle().endContainer().endSpec().build();
    }

    /** The newest container status sent (the mock server appends lists on a merge patch). */
    private Optional<ContainerStatus> latest() {
        Pod p = client.pods().inNamespace("ns").withName("redis-0").get();
        if (p == null || p.getStatus() == null || p.getStatus().getContainerStatuses() == null
                || p.getStatus().getContainerStatuses().isEmpty()) {
            return Optional.empty();
        }
        List<ContainerStatus> all = p.getStatus().getContainerStatuses();
        return Optional.of(all.get(all.size() - 1));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
