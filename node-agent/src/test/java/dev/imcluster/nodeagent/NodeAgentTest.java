package dev.imcluster.nodeagent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole agent on a mock API server: its informers drive binding and the hosts file. */
@EnableKubernetesMockClient(crud = true)
class NodeAgentTest {
    KubernetesClient client;

    @TempDir
    Path dir;

    @Test
    void registersBindsAndNamesServicesFromInformerEvents() throws Exception {
        RedisServerBinary.assumeInstalled();
        Options options = new Options(dir.resolve("kubeconfig"), dir, dir.resolve("broker.jar"), "node-a", "127.0.0.",
                List.of());
        NodeAgent agent = new NodeAgent(client, options);
        Thread loop = new Thread(() -> {
            try {
                agent.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        loop.setDaemon(true);
        loop.start();
        await().atMost(Duration.ofSeconds(20)).until(() -> client.nodes().withName("node-a").get() != null);

        client.pods().inNamespace("ns").resource(ApiTest.pod("pending", "u-1")).create();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> client.bindings().inNamespace("ns").withName("pending").get() != null);

        // A managed pod bound to this node, run for real, and a Service selecting it: named once its runner reports
        // it Ready (the status patch comes back through the informer).
        int port = freePort();
        client.pods().inNamespace("ns").resource(new PodBuilder().withNewMetadata().withName("web-0")
                .withNamespace("ns").withUid("u-2").addToLabels("app", "web")
                .addToLabels(NodeAgent.MANAGED_BY, NodeAgent.OPERATOR).endMetadata()
                .withNewSpec().withNodeName("node-a").addNewContainer().withName("redis").withImage("redis:7")
                .withCommand("redis-server", "--port", Integer.toString(port), "--save", "", "--appendonly", "no")
                .endContainer().endSpec().build()).create();
        client.services().inNamespace("ns").resource(new ServiceBuilder().withNewMetadata().withName("web")
                .withNamespace("ns").endMetadata().withNewSpec().addToSelector("app", "web").endSpec().build()).create();
        Path hosts = dir.resolve("hosts");
        await().atMost(Duration.ofSeconds(20)).until(() -> Files.readAllLines(hosts)
                .contains("127.0.0.10 web web.ns web.ns.svc web.ns.svc.cluster.local"));
        long pid = Long.parseLong(Files.readString(dir.resolve("pods/ns_web-0/pid")));
        loop.interrupt(); // as SIGTERM does: the loop ends and stops every pod process
        loop.join(20_000);
        assertThat(loop.isAlive()).isFalse();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
