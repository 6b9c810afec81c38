package dev.imcluster.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.imcluster.operator.api.v1alpha1.MqSpec.Backend;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.BrokerConfigRenderer;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.SwapState;
import dev.imcluster.operator.model.Role;
import dev.imcluster.operator.testing.Examples;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link HttpDrainProbe} against a real HTTP server on a free loopback port that answers {@code GET /migration} as
 * job does (broker-image's PreviousBackend.Status.toJson: {@code previous}, {@code lag} or null, {@code drained}, and
 * {@code problem} while the lag is unknown). The pods it reads come from the fabric8 mock API server in CRUD mode;
 * their pod IP is where the probe connects, so 127.0.0.1 (and 127.0.99.2 for a second pod) reaches the servers here.
 */
@EnableKubernetesMockClient(crud = true)
class HttpDrainProbeTest {

    private static final Duration TIMEOUT = Duration.ofMillis(700);
    private static final SwapState KAFKA_TO_NATS = new SwapState(Backend.kafka, Backend.nats,
            SwapState.Phase.Drain);
    private static final String HASH = "new-hash";
    private static final AtomicInteger NS = new AtomicInteger();

    static KubernetesClient client;

    /** Two loopback addresses for two job pods; not 127.0.0.2, which local e2e runs use for their pods. */
    private static final String FIRST = "127.0.0.1";
    private static final String SECOND = "127.0.99.2";

    private final List<HttpServer> servers = new ArrayList<>();
    private final Map<String, HttpHandler> answers = new java.util.concurrent.ConcurrentHashMap<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger requests = new AtomicInteger();
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private int port;
    private HttpDrainProbe probe;
    private PubSubCluster cluster;

    @BeforeEach
    void setUp() throws IOException {
        port = bindBoth();
        probe = new HttpDrainProbe(port, TIMEOUT);
        cluster = Examples.load("quickstart.yaml");
        cluster.getMetadata().setNamespace("probe-" + NS.incrementAndGet());
    }

    /**
     * One port on both addresses (the probe uses one port for every pod), bound here rather than picked and bound
     * later: other work on this machine holds many ephemeral ports on 127.0.0.x, so a port free on one address can
     * be taken on another.
     */
    private int bindBoth() throws IOException {
        for (int attempt = 0; ; attempt++) {
            HttpServer first = server(new InetSocketAddress(FIRST, 0));
            int p = first.getAddress().getPort();
            try {
                server(new InetSocketAddress(SECOND, p));
                return p;
            } catch (java.net.BindException e) {
                first.stop(0);
                servers.remove(first);
                if (attempt == 20) {
                    throw e;
                }
            }
        }
    }

    @AfterEach
    void tearDown() {
        release.countDown(); // lets a handler held for the timeout case finish
        servers.forEach(s -> s.stop(0));
        executor.shutdownNow();
    }

    @Test
    void drainedWhenEveryJobPodSaysSo() throws IOException {
        serve(FIRST, json(200, "{\"previous\":\"kafka\",\"lag\":0,\"drained\":true}"));
        logicPod("logic-0", HASH);
        jobPod("job-0", FIRST);

        assertThat(check()).isEqualTo(new DrainProbe.Report(true, "job pods [job-0] report lag 0"));
        assertThat(requests).hasValue(1);
    }

    /** job's answers that mean "not drained", and what the probe says for each (job-0 the only job pod). */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = { // the answers hold ' and "
        "200 | {\"previous\":\"kafka\",\"lag\":412,\"drained\":false} | job-0: lag 412 on kafka",
        // unknown lag: job says why (PreviousBackend.status() when the old backend does not answer in time)
        "200 | {\"previous\":\"kafka\",\"lag\":null,\"drained\":false,\"problem\":\"kafka did not report the lag"
                + " within 3 s (unreachable?)\"} | job-0: lag unknown on kafka (kafka did not report the lag within 3 s"
                + " (unreachable?))",
        // a job pod without mq.previous vouches for nothing
        "200 | {\"previous\":\"none\",\"lag\":null,\"drained\":false} | job-0: consumes previous backend 'none', not kafka",
        // drained, but of another swap's backend
        "200 | {\"previous\":\"redis\",\"lag\":0,\"drained\":true} | job-0: consumes previous backend 'redis', not kafka",
        // a body that says drained counts for nothing without a 200
        "503 | {\"previous\":\"kafka\",\"lag\":0,\"drained\":true} | job-0: /migration answered 503",
    })
    void notDrainedAnswers(int status, String body, String detail) throws IOException {
        serve(FIRST, json(status, body));
        jobPod("job-0", FIRST);

        assertThat(check()).isEqualTo(new DrainProbe.Report(false, detail));
    }

    @Test
    void aSlowAnswerTimesOut() throws IOException {
        serve(FIRST, exchange -> {
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            respond(exchange, 200, "{\"previous\":\"kafka\",\"lag\":0,\"drained\":true}");
        });
        jobPod("job-0", FIRST);

        long start = System.nanoTime();
        DrainProbe.Report r = check();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        assertThat(r.drained()).isFalse();
        assertThat(r.detail()).startsWith("job-0: HttpTimeoutException");
        // the probe gives up at its timeout instead of hanging the reconciler on a stuck pod
        assertThat(tookMs).isBetween(TIMEOUT.toMillis() - 50, TIMEOUT.toMillis() + 5_000);
    }

    @Test
    void connectionRefused() {
        servers.forEach(s -> s.stop(0)); // nothing listens on the port any more
        jobPod("job-0", FIRST);

        assertThat(check().detail()).startsWith("job-0: ConnectException");
    }

    @Test
    void malformedJson() throws IOException {
        serve(FIRST, json(200, "{\"previous\":\"kafka\",\"drained\":tru"));
        jobPod("job-0", FIRST);

        assertThat(check().detail()).startsWith("job-0: JsonParseException Unrecognized token 'tru'");
    }

    @Test
    void everyJobPodMustBeDrained() throws IOException {
        serve(FIRST, json(200, "{\"previous\":\"kafka\",\"lag\":0,\"drained\":true}"));
        serve(SECOND, json(200, "{\"previous\":\"kafka\",\"lag\":7,\"drained\":false}"));
        jobPod("job-0", FIRST);
        jobPod("job-1", SECOND);
        jobPod("job-2", null);

        assertThat(check()).isEqualTo(new DrainProbe.Report(false,
                "job-1: lag 7 on kafka; job-2: no pod IP yet"));
    }

    @Test
    void anOldLogicPodMeansNoJobIsAsked() throws IOException {
        // a zero lag read while a pod may still publish to kafka proves nothing
        serve(FIRST, json(200, "{\"previous\":\"kafka\",\"lag\":0,\"drained\":true}"));
        logicPod("logic-0", HASH);
        logicPod("logic-1", "old-hash");
        jobPod("job-0", FIRST);

        assertThat(check()).isEqualTo(new DrainProbe.Report(false,
                "logic pods [logic-1] still run the old config (they may publish to kafka)"));
        assertThat(requests).hasValue(0);
    }

    @Test
    void noJobPod() {
        assertThat(check()).isEqualTo(new DrainProbe.Report(false, "no job pod to ask"));
    }

    private DrainProbe.Report check() {
        DrainProbe.Report r = probe.check(client, cluster, KAFKA_TO_NATS, HASH);
        // the verdict and its message agree in every case: only a drain says "report lag 0"
        assertThat(r.drained()).as(r.detail()).isEqualTo(r.detail().endsWith(" report lag 0"));
        return r;
    }

    /** What the server on this address answers to GET /migration (404 until set). */
    private void serve(String address, HttpHandler handler) {
        answers.put(address, handler);
    }

    private HttpServer server(InetSocketAddress address) throws IOException {
        HttpServer server = HttpServer.create(address, 0);
        String host = address.getHostString();
        server.createContext("/migration", exchange -> {
            requests.incrementAndGet();
            answers.getOrDefault(host, json(404, "")).handle(exchange);
        });
        server.setExecutor(executor);
        server.start();
        servers.add(server);
        return server;
    }

    private static HttpHandler json(int status, String body) {
        return exchange -> respond(exchange, status, body);
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private void logicPod(String name, String hash) {
        create(name, Role.LOGIC, Map.of(BrokerConfigRenderer.CONFIG_HASH_ANNOTATION, hash), null);
    }

    private void jobPod(String name, String ip) {
        create(name, Role.JOB, Map.of(BrokerConfigRenderer.CONFIG_HASH_ANNOTATION, "job-hash"), ip);
    }

    private void create(String name, Role role, Map<String, String> annotations, String ip) {
        String ns = cluster.getMetadata().getNamespace();
        Pod pod = client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName(name)
                .withNamespace(ns).withLabels(Labels.selector(cluster, role.id())).withAnnotations(annotations)
                .endMetadata().withNewSpec().addNewContainer().withName("broker").withImage("broker").endContainer()
                .endSpec().build()).create();
        if (ip != null) {
            pod.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPodIP(ip).build());
            client.pods().inNamespace(ns).resource(pod).updateStatus();
        }
    }
}
