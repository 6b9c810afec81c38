package dev.imcluster.bench.cli;

import dev.imcluster.bench.operator.OperatorProcess;
import dev.imcluster.bench.operator.OperatorScale;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The operator-scale section of the report. Run by bench/operator-scale.sh, which brings up the local control plane
 * and the operator process first (KUBECONFIG points at the API server).
 */
@Command(name = "operator-scale", mixinStandardHelpOptions = true,
        description = "Creates PubSubClusters on a running API server with the operator running as a local process "
                + "(bench/operator-scale.sh sets that up) and measures create-to-all-owned-objects latency, the "
                + "operator's CPU and memory at that many clusters, and reconciles/s after a restart.")
final class OperatorScaleCommand implements Callable<Integer> {
    @Option(names = "--spec", description = "The PubSubCluster to create, copied under new names "
            + "(default ${DEFAULT-VALUE}).")
    Path spec = Path.of("examples", "quickstart.yaml");

    @Option(names = "--singles", description = "Clusters created one at a time at idle (default ${DEFAULT-VALUE}).")
    int singles = 20;

    @Option(names = {"-n", "--clusters"}, description = "Clusters created at once (default ${DEFAULT-VALUE}).")
    int clusters = 500;

    @Option(names = "--apply-threads", description = "Threads sending those creates (default ${DEFAULT-VALUE}).")
    int applyThreads = 4;

    @Option(names = "--timeout", description = "Seconds any one step may take (default ${DEFAULT-VALUE}).")
    int timeoutSeconds = 300;

    @Option(names = "--idle", description = "Seconds of idle CPU sampled with all clusters (default ${DEFAULT-VALUE}).")
    int idleSeconds = 10;

    @Option(names = "--pid-file", required = true, description = "The operator process's pid file.")
    Path pidFile;

    @Option(names = "--operator-log", required = true, description = "The operator's log (it logs its HTTP port).")
    Path operatorLog;

    @Option(names = "--stop-command", description = "Stops the operator (bash -c); with --start-command, "
            + "measures reconciles/s after a restart.")
    String stopCommand;

    @Option(names = "--start-command", description = "Starts the operator and returns once it is ready (bash -c).")
    String startCommand;

    @Option(names = "--operator-notes", description = "A line on how the operator and the control plane run, "
            + "for the report.")
    String operatorNotes = "";

    @Option(names = "--out", description = "The Markdown section to write (default ${DEFAULT-VALUE}); a file named "
            + "like it with .target holds the row for the report's targets table.")
    Path out = Path.of("target", "bench-work", "operator-scale.md");

    @Override
    public Integer call() throws Exception {
        if (singles < 1 || clusters < 1 || applyThreads < 1) {
            throw new IllegalArgumentException("--singles, --clusters and --apply-threads must be at least 1");
        }
        if ((stopCommand == null) != (startCommand == null)) {
            throw new IllegalArgumentException("--stop-command and --start-command go together");
        }
        Instant started = Instant.now();
        String loadBefore = Machine.loadAverage();
        OperatorScale.Outcome o;
        try (KubernetesClient client = new KubernetesClientBuilder().build()) {
            o = new OperatorScale(client, new OperatorProcess(pidFile, operatorLog),
                    new OperatorScale.Settings(spec, singles, clusters, applyThreads,
                            Duration.ofSeconds(timeoutSeconds), idleSeconds, stopCommand, startCommand),
                    System.err).run();
        }
        String section = markdown(o, started, loadBefore);
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.writeString(out, section);
        Files.writeString(out.resolveSibling(out.getFileName() + ".target"), targetRow(o));
        System.out.print(section);
        return o.bulk().incomplete() > 0 ? 1 : 0;
    }

    private String markdown(OperatorScale.Outcome o, Instant started, String loadBefore) {
        StringBuilder sb = new StringBuilder("## Operator scale\n\n");
        sb.append(String.format(Locale.ROOT, "Measured by `bench/operator-scale.sh` (%s, %d s; load average before: "
                        + "%s, after: %s) on the local control plane (`hack/local-cluster.sh`: etcd, "
                        + "kube-apiserver and kube-controller-manager 1.20.2 as processes on this machine). %s%n%n",
                started.truncatedTo(ChronoUnit.SECONDS), Duration.between(started, Instant.now()).toSeconds(),
                loadBefore, Machine.loadAverage(), operatorNotes));
        sb.append(String.format(Locale.ROOT, "Each PubSubCluster is `%s` under a new name, created with a POST (what "
                + "`kubectl apply` does for a new object). A cluster is complete when the last of the %d objects the "
                + "operator owns for it (%s) has been seen by an informer of the bench; its latency is from sending "
                + "its create to then. A first cluster, not counted, finds that set (what the API server lists for it "
                + "once its status is written: the operator writes status after its workflow ran) and warms the "
                + "bench up.%n%n", spec, o.objectsPerCluster(),
                String.join(", ", o.objectKinds())));
        sb.append("| Step | Clusters | p50 ms | p99 ms | max ms | All objects of all clusters (s) "
                + "| Creates sent in (s) | Operator CPU (cores) | Incomplete |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (OperatorScale.Step s : new OperatorScale.Step[] {o.single(), o.bulk()}) {
            boolean single = s == o.single();
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.0f | %s | %s | %.2f | %d |%n",
                    s.label(), s.clusters(), s.p50Ms(), s.p99Ms(), s.maxMs(),
                    single ? "-" : String.format(Locale.ROOT, "%.1f", s.spanSeconds()),
                    single ? "-" : String.format(Locale.ROOT, "%.1f", s.sendSeconds()), s.cpuCores(),
                    s.incomplete()));
        }
        OperatorScale.Footprint f = o.footprint();
        int total = 1 + o.single().clusters() + o.bulk().clusters();
        sb.append(String.format(Locale.ROOT, "%n### The operator with %d clusters (%d owned objects)%n%n", total,
                total * o.objectsPerCluster()));
        sb.append("| Figure | Value |\n|---|---:|\n");
        sb.append(String.format(Locale.ROOT, "| Last reconcile after the last cluster was complete (s) | %.1f |%n",
                f.settleSeconds()));
        sb.append(String.format(Locale.ROOT, "| CPU at idle, over %d s once no reconcile ran for 5 s (cores) | %.3f |%n",
                idleSeconds, f.idleCpuCores()));
        sb.append(String.format(Locale.ROOT, "| RSS, peak while creating (MiB) | %.0f |%n", mib(f.rssPeak())));
        sb.append(String.format(Locale.ROOT, "| RSS at idle (MiB) | %.0f |%n", mib(f.rssAfter())));
        sb.append(String.format(Locale.ROOT, "| Heap in use after a full GC (MiB) | %.1f |%n", mib(f.liveHeap())));
        sb.append(String.format(Locale.ROOT, "| /metrics: series, size (KiB) | %d, %.0f |%n", f.metricsSeries(),
                f.metricsBytes() / 1024.0));
        OperatorScale.Restart r = o.restart();
        if (r != null) {
            sb.append(String.format(Locale.ROOT, "%n### Restart with %d clusters%n%n", r.clusters()));
            sb.append("The operator is stopped (SIGTERM) and started again; `imcluster_operator_reconciles_total` on "
                    + "its /metrics is read every 100 ms. Reconciles/s is the clusters over the time from the first "
                    + "reconcile seen to the count reaching the number of clusters (JOSDK reconciles every cluster "
                    + "once its informers have synced).\n\n");
            sb.append("| Start to ready (s) | Start to first reconcile (s) | Start to all reconciled (s) "
                    + "| Reconciles/s | Failed reconciles | Operator CPU since start (cores) |\n");
            sb.append("|---:|---:|---:|---:|---:|---:|\n");
            sb.append(String.format(Locale.ROOT, "| %.1f | %.1f | %.1f | %.0f | %d | %.2f |%n", r.readySeconds(),
                    r.firstReconcileSeconds(), r.allReconciledSeconds(), r.reconcilesPerSecond(), r.failures(),
                    r.cpuCores()));
        }
        return sb.toString();
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    /** The row of the report's targets table (issue 9: a new cluster's objects within 1 s of apply). */
    private static String targetRow(OperatorScale.Outcome o) {
        OperatorScale.Step s = o.single();
        return String.format(Locale.ROOT, "| A new cluster's objects within 1 s of apply | p50 %.0f ms, p99 %.0f ms "
                        + "(%d single creates at idle); p99 %.0f ms with %d at once | %s |%n", s.p50Ms(), s.p99Ms(),
                s.clusters(), o.bulk().p99Ms(), o.bulk().clusters(), s.p99Ms() <= 1000 ? "yes (at idle)" : "no");
    }
}
