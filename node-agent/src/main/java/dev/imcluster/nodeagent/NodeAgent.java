package dev.imcluster.nodeagent;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local node agent for the local control plane (hack/local-cluster.sh): a LOCAL/TEST TOOL, not part of imcluster's
 * install. It plays kubelet, scheduler and DNS for the pods the imcluster operator creates, running each pod's first
 * container as a local process on its own loopback address (see hack/node-agent/README.md).
 *
 * <p>Informers keep the managed pods and all Services in memory; any change wakes one loop that binds, starts and stops pods
 * ({@link PodSync}) and rewrites the hosts file ({@link HostsFile}), so all decisions are taken on one thread.
 */
public final class NodeAgent {
    private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);
    static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    static final String OPERATOR = "imcluster-operator";
    // The loop also runs without events: a failed bind or heartbeat is retried within this time.
    private static final long IDLE_MILLIS = 2000;
    private static final long SHUTDOWN_GRACE_SECONDS = 10;

    private final KubernetesClient client;
    private final Options options;
    private final HostsFile hosts;
    private final NodeHeartbeat heartbeat;
    private final PodSync pods;
    private final BlockingQueue<Boolean> wake = new ArrayBlockingQueue<>(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;

    NodeAgent(KubernetesClient client, Options options) throws IOException {
        this.client = client;
        this.options = options;
        Path podsDir = options.state().resolve("pods");
        Files.createDirectories(podsDir);
        this.hosts = new HostsFile(options.state().resolve("hosts"), hostname());
        this.heartbeat = new NodeHeartbeat(client, options.nodeName());
        this.pods = new PodSync(client, new PodRunner.Context(client, options.nodeName(), podsDir,
                new IpPool(options.ipBase()), new LocalCommand(hosts.path(), options.brokerJar(), options.jvmOpts())));
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args, System.getenv("KUBECONFIG"));
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        KubernetesClient client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(options.kubeconfig().toFile())).build();
        NodeAgent agent = new NodeAgent(client, options);
        // SIGTERM and SIGINT run the hooks: stop every pod process before the JVM exits.
        Runtime.getRuntime().addShutdownHook(new Thread(agent::stopAndWait, "shutdown"));
        agent.run();
    }

    void run() throws IOException {
        try {
            serve();
        } finally {
            stopped.countDown();
        }
    }

    private void serve() throws IOException {
        hosts.update(List.of(), List.of());
        retry("register the node", heartbeat::register);
        long lastBeat = System.nanoTime();
        ResourceEventHandler<Object> onChange = new ResourceEventHandler<>() {
            @Override
            public void onAdd(Object obj) {
                wake.offer(Boolean.TRUE);
            }

            @Override
            public void onUpdate(Object oldObj, Object newObj) {
                wake.offer(Boolean.TRUE);
            }

            @Override
            public void onDelete(Object obj, boolean deletedFinalStateUnknown) {
                wake.offer(Boolean.TRUE);
            }
        };
        SharedIndexInformer<Pod> managed = informer(() -> client.pods().inAnyNamespace()
                .withLabel(MANAGED_BY, OPERATOR).runnableInformer(0), onChange);
        SharedIndexInformer<Service> services = informer(() -> client.services().inAnyNamespace()
                .runnableInformer(0), onChange);
        LOG.info("node {} ready: pods on {}N", options.nodeName(), options.ipBase());
        try {
            while (!stopping) {
                try {
                    if (System.nanoTime() - lastBeat >= TimeUnit.SECONDS.toNanos(NodeHeartbeat.PERIOD_SECONDS)) {
                        heartbeat.beat();
                        lastBeat = System.nanoTime();
                    }
                    List<Pod> managedPods = managed.getStore().list();
                    pods.sync(managedPods);
                    // Only the pods this agent runs have an address: those bound here (it binds managed pods only).
                    hosts.update(services.getStore().list(), managedPods.stream()
                            .filter(p -> options.nodeName().equals(p.getSpec().getNodeName())).toList());
                } catch (Exception e) { // the API server restarting, for example: try again
                    LOG.warn("sync failed: {}", e.toString());
                }
                try {
                    wake.poll(IDLE_MILLIS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    break;
                }
            }
        } finally {
            pods.stopAll(SHUTDOWN_GRACE_SECONDS);
            managed.stop();
            services.stop();
        }
    }

    /** A started informer (its first list done), a new one per attempt: a failed one is not restarted. */
    private <T> SharedIndexInformer<T> informer(Supplier<SharedIndexInformer<T>> make,
            ResourceEventHandler<Object> onChange) {
        while (true) {
            SharedIndexInformer<T> informer = make.get();
            informer.addEventHandler(onChange);
            try {
                informer.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
                return informer;
            } catch (Exception e) {
                informer.stop();
                if (e instanceof InterruptedException || stopping) {
                    return informer; // the agent is stopping: its loop ends at once
                }
                LOG.warn("cannot list and watch yet: {}", e.toString());
                sleepQuietly();
            }
        }
    }

    /** From the shutdown hook: ends the loop and waits until it stopped the pods. */
    private void stopAndWait() {
        stopping = true;
        wake.offer(Boolean.TRUE);
        try {
            stopped.await(SHUTDOWN_GRACE_SECONDS + 20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    interface Step {
        void run() throws Exception;
    }

    /** Retries a start-up step until it succeeds (the API server may still be starting) or the agent stops. */
    private void retry(String what, Step step) {
        while (!stopping) {
            try {
                step.run();
                return;
            } catch (Exception e) {
                LOG.warn("cannot {} yet: {}", what, e.toString());
                sleepQuietly();
            }
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(IDLE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String hostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException e) {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (IOException e2) {
                return "localhost";
            }
        }
    }
}
