package dev.imcluster.bench.operator;

import dev.imcluster.bench.cluster.BrokerMemory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Over 300 lines: the three measurements (single creates, a bulk create, a restart) share the run's namespaces,
 * the operator process and the watch of owned objects.
 *
 * <p>The operator at scale on a real API server: time from creating a PubSubCluster to every object the operator owns
 * for it existing (single creates at idle, then many at once), the operator's CPU and memory with that many
 * clusters, and how fast it reconciles them all again after a restart.
 */
public final class OperatorScale {
    /**
     * @param singles      clusters created one at a time at idle (the first also finds how many objects a cluster owns)
     * @param clusters     clusters created at once afterwards
     * @param applyThreads threads sending the creates of the bulk step
     * @param idleSeconds  how long CPU is sampled at idle after the bulk step
     * @param stopCommand  stops the operator (bash -c); null to skip the restart step
     * @param startCommand starts it again and returns once it is ready
     */
    public record Settings(Path spec, int singles, int clusters, int applyThreads, Duration timeout, int idleSeconds,
                           String stopCommand, String startCommand) {
    }

    /** Create-to-all-objects latencies of one step, in ms; span: first create sent to last object seen, in s. */
    public record Step(String label, int clusters, double p50Ms, double p99Ms, double maxMs, double spanSeconds,
                       double sendSeconds, double cpuCores, int incomplete) {
    }

    /** @param settleSeconds from the last cluster complete to 5 s without a reconcile (status updates, retries) */
    public record Footprint(double settleSeconds, double idleCpuCores, long rssPeak, long rssAfter, long liveHeap, int metricsBytes,
                            int metricsSeries) {
    }

    public record Restart(double readySeconds, double firstReconcileSeconds, double allReconciledSeconds,
                          double reconcilesPerSecond, long reconciles, long failures, double cpuCores, int clusters) {
    }

    public record Outcome(int objectsPerCluster, List<String> objectKinds, Step single, Step bulk,
                          Footprint footprint, Restart restart) {
    }

    static final String RECONCILES = "imcluster_operator_reconciles_total";
    static final String FAILURES = "imcluster_operator_reconcile_failures_total";

    private final KubernetesClient client;
    private final OperatorProcess operator;
    private final Settings settings;
    private final PrintStream progress;

    public OperatorScale(KubernetesClient client, OperatorProcess operator, Settings settings, PrintStream progress) {
        this.client = client;
        this.operator = operator;
        this.settings = settings;
        this.progress = progress;
    }

    public Outcome run() throws Exception {
        GenericKubernetesResource template;
        try (InputStream in = Files.newInputStream(settings.spec())) {
            template = client.getKubernetesSerialization().unmarshal(in, GenericKubernetesResource.class);
        }
        String run = Long.toString(System.currentTimeMillis() / 1000 % 100_000, 36);
        String singleNs = "opscale-" + run + "-single";
        String bulkNs = "opscale-" + run + "-bulk";
        for (String ns : List.of(singleNs, bulkNs)) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
                    .create();
        }
        List<OwnedObjects.Kind> ownedKinds = ownedKinds();
        try (OwnedObjects owned = new OwnedObjects(client, ownedKinds)) {
            // The first cluster finds the set and warms this JVM up (it is not counted): once its status is written
            // the operator's workflow has run, so what the API server lists for it then is what a cluster owns.
            create(template, singleNs, "s-000");
            awaitStatus(singleNs, "s-000");
            List<String> kinds = listOwned(ownedKinds, singleNs, "s-000");
            int expected = kinds.size();
            awaitComplete(owned, singleNs, "s-000", expected, settings.timeout());
            progress.printf("a cluster owns %d objects: %s%n", expected, String.join(", ", kinds));

            long[] singleMs = new long[settings.singles()];
            double cpu0 = operator.cpuSeconds();
            long wall0 = System.nanoTime();
            for (int i = 0; i < settings.singles(); i++) {
                Thread.sleep(300); // idle between creates: each one meets an idle operator
                String name = String.format(Locale.ROOT, "s-%03d", i + 1);
                long sent = System.nanoTime();
                create(template, singleNs, name);
                long done = awaitComplete(owned, singleNs, name, expected, settings.timeout());
                singleMs[i] = (done - sent) / 1_000_000;
                progress.printf("single %d/%d: %d ms%n", i + 1, settings.singles(), singleMs[i]);
            }
            Step single = step("single creates at idle", singleMs, 0, 0,
                    (operator.cpuSeconds() - cpu0) / seconds(System.nanoTime() - wall0), 0);

            Bulk bulk = bulk(owned, template, bulkNs, expected);
            progress.printf("%d clusters at once: all objects after %.1f s%n", settings.clusters(),
                    bulk.step.spanSeconds());
            double settle = awaitQuiet(Duration.ofSeconds(5), settings.timeout());
            progress.printf("no reconcile for 5 s after %.1f s%n", settle);
            double idleCpu0 = operator.cpuSeconds();
            Thread.sleep(settings.idleSeconds() * 1000L);
            double idleCpu = (operator.cpuSeconds() - idleCpu0) / settings.idleSeconds();
            String metrics = operator.metrics();
            int series = (int) metrics.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).count();
            Footprint footprint = new Footprint(settle, idleCpu, bulk.rssPeak, operator.rss(), operator.liveHeap(),
                    metrics.length(), series);
            Restart restart = settings.stopCommand() == null ? null
                    : restart(1 + settings.singles() + settings.clusters());
            return new Outcome(expected, kinds, single, bulk.step, footprint, restart);
        }
    }

    private record Bulk(Step step, long rssPeak) {
    }

    private Bulk bulk(OwnedObjects owned, GenericKubernetesResource template, String ns, int expected)
            throws Exception {
        int n = settings.clusters();
        long[] sent = new long[n];
        AtomicLong rssPeak = new AtomicLong(operator.rss());
        ExecutorService sender = Executors.newFixedThreadPool(settings.applyThreads());
        double cpu0 = operator.cpuSeconds();
        long t0 = System.nanoTime();
        List<Future<?>> creates = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int idx = i;
            creates.add(sender.submit(() -> {
                sent[idx] = System.nanoTime();
                create(template, ns, bulkName(idx));
                return null;
            }));
        }
        sender.shutdown();
        for (Future<?> f : creates) {
            f.get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        long allSent = System.nanoTime();
        long deadline = t0 + settings.timeout().toNanos();
        long[] ms = new long[n];
        long last = t0;
        int complete = 0;
        long nextReport = System.nanoTime();
        while (System.nanoTime() < deadline) {
            complete = 0;
            last = t0;
            for (int i = 0; i < n; i++) {
                OptionalLong done = owned.completedAt(ns, bulkName(i), expected);
                if (done.isPresent()) {
                    complete++;
                    ms[i] = (done.getAsLong() - sent[i]) / 1_000_000;
                    last = Math.max(last, done.getAsLong());
                }
            }
            rssPeak.accumulateAndGet(operator.rss(), Math::max);
            if (complete == n) {
                break;
            }
            if (System.nanoTime() >= nextReport) {
                progress.printf("bulk: %d/%d clusters complete after %.1f s%n", complete, n,
                        seconds(System.nanoTime() - t0));
                nextReport = System.nanoTime() + 2_000_000_000L;
            }
            Thread.sleep(100);
        }
        double cpu = (operator.cpuSeconds() - cpu0) / seconds(System.nanoTime() - t0);
        long[] done = Arrays.stream(ms).filter(v -> v > 0).toArray();
        Step step = step(n + " creates at once (" + settings.applyThreads() + " threads)", done,
                seconds(last - t0), seconds(allSent - t0), cpu, n - complete);
        return new Bulk(step, rssPeak.get());
    }

    private static String bulkName(int i) {
        return String.format(Locale.ROOT, "b-%04d", i);
    }

    /** Stops the operator, starts it, and follows its reconcile counter until every cluster was reconciled. */
    private Restart restart(int clusters) throws Exception {
        progress.println("restarting the operator");
        shell(settings.stopCommand()).waitFor();
        long t0 = System.nanoTime();
        Process start = shell(settings.startCommand());
        double ready = -1;
        double first = -1;
        double all = -1;
        long reconciles = 0;
        long failures = 0;
        double cpu = -1;
        long deadline = t0 + settings.timeout().toNanos();
        while (System.nanoTime() < deadline) {
            if (ready < 0 && !start.isAlive()) {
                if (start.exitValue() != 0) {
                    throw new IOException("the operator's start command failed with " + start.exitValue());
                }
                ready = seconds(System.nanoTime() - t0);
            }
            try {
                String m = operator.metrics();
                reconciles = BrokerMemory.sum(m, RECONCILES, "");
                failures = BrokerMemory.sum(m, FAILURES, "");
            } catch (IOException e) {
                reconciles = 0; // not up yet (or still the old log)
            }
            double now = seconds(System.nanoTime() - t0);
            if (first < 0 && reconciles > 0) {
                first = now;
            }
            if (reconciles >= clusters) {
                all = now;
                cpu = operator.cpuSeconds() / now; // the process is new: all its CPU time is since the start
                break;
            }
            Thread.sleep(100);
        }
        start.waitFor(settings.timeout().toSeconds(), TimeUnit.SECONDS);
        if (ready < 0 && !start.isAlive()) {
            ready = seconds(System.nanoTime() - t0);
        }
        double rate = all > first && first >= 0 ? clusters / (all - first) : -1;
        return new Restart(ready, first, all, rate, reconciles, failures, cpu, clusters);
    }

    /** Waits until the operator's reconcile counter has not moved for {@code quiet}; returns the seconds waited. */
    private double awaitQuiet(Duration quiet, Duration timeout) throws Exception {
        long t0 = System.nanoTime();
        long last = -1;
        long since = t0;
        while (System.nanoTime() - t0 < timeout.toNanos()) {
            long now = BrokerMemory.sum(operator.metrics(), RECONCILES, "");
            if (now != last) {
                last = now;
                since = System.nanoTime();
            } else if (System.nanoTime() - since >= quiet.toNanos()) {
                break;
            }
            Thread.sleep(500);
        }
        return seconds(since - t0);
    }

    private static Process shell(String command) throws IOException {
        return new ProcessBuilder("bash", "-c", command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
    }

    private void create(GenericKubernetesResource template, String ns, String name) {
        GenericKubernetesResource r = client.getKubernetesSerialization().clone(template);
        r.getMetadata().setName(name);
        r.getMetadata().setNamespace(ns);
        client.resource(r).inNamespace(ns).create();
    }

    private void awaitStatus(String ns, String name) throws Exception {
        long deadline = System.nanoTime() + settings.timeout().toNanos();
        while (System.nanoTime() < deadline) {
            GenericKubernetesResource r = client.genericKubernetesResources("pubsub.imcluster.dev/v1alpha1",
                    "PubSubCluster").inNamespace(ns).withName(name).get();
            Object status = r == null ? null : r.getAdditionalProperties().get("status");
            if (status instanceof Map<?, ?> m && m.get("conditions") != null) {
                return;
            }
            Thread.sleep(50);
        }
        throw new TimeoutException("PubSubCluster " + ns + "/" + name + " has no status after "
                + settings.timeout().toSeconds() + " s: is the operator running?");
    }

    /** The kinds of the objects the API server lists for the cluster (one entry per object, sorted). */
    private List<String> listOwned(List<OwnedObjects.Kind> kinds, String ns, String name) {
        List<String> found = new ArrayList<>();
        for (OwnedObjects.Kind k : kinds) {
            int n = client.genericKubernetesResources(k.apiVersion(), k.kind()).inNamespace(ns)
                    .withLabel(OwnedObjects.MANAGED_BY, OwnedObjects.OPERATOR).withLabel(OwnedObjects.INSTANCE, name)
                    .list().getItems().size();
            for (int i = 0; i < n; i++) {
                found.add(k.kind());
            }
        }
        if (found.isEmpty()) {
            throw new IllegalStateException("the API server lists no object owned by " + ns + "/" + name);
        }
        return found;
    }

    private static long awaitComplete(OwnedObjects owned, String ns, String name, int expected, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            OptionalLong done = owned.completedAt(ns, name, expected);
            if (done.isPresent()) {
                return done.getAsLong();
            }
            Thread.sleep(10);
        }
        throw new TimeoutException(ns + "/" + name + ": " + owned.count(ns, name) + " of " + expected
                + " objects after " + timeout.toSeconds() + " s");
    }

    /** The kinds a PubSubCluster may own, as this API server serves them. */
    private List<OwnedObjects.Kind> ownedKinds() {
        String pdb = client.supports("policy/v1", "PodDisruptionBudget") ? "policy/v1" : "policy/v1beta1";
        return List.of(new OwnedObjects.Kind("v1", "ConfigMap"), new OwnedObjects.Kind("v1", "ServiceAccount"),
                new OwnedObjects.Kind("v1", "Secret"), new OwnedObjects.Kind("v1", "Service"),
                new OwnedObjects.Kind("apps/v1", "Deployment"), new OwnedObjects.Kind("apps/v1", "StatefulSet"),
                new OwnedObjects.Kind(pdb, "PodDisruptionBudget"),
                new OwnedObjects.Kind("networking.k8s.io/v1", "NetworkPolicy"));
    }

    static Step step(String label, long[] ms, double span, double send, double cpu, int incomplete) {
        long[] s = ms.clone();
        Arrays.sort(s);
        return new Step(label, ms.length, percentile(s, 0.50), percentile(s, 0.99),
                s.length == 0 ? -1 : s[s.length - 1], span, send, cpu, incomplete);
    }

    /** The nearest-rank percentile of sorted values. */
    static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
