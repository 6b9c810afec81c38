package dev.imcluster.nodeagent;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ExecAction;
import io.fabric8.kubernetes.api.model.Lifecycle;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Probe;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pod: prepares its files, runs and supervises its first container's process, reports its status. Over 300
 * lines because the process's lifecycle (start, probes, restart with backoff, preStop, SIGTERM, SIGKILL) is one
 * state machine on one supervising thread; split across classes it would share all of that state.
 */
final class PodRunner {
    private static final Logger LOG = LoggerFactory.getLogger(PodRunner.class);
    private static final long TICK_MILLIS = 500;
    /** How often mounted ConfigMaps and Secrets are re-read (the kubelet's sync is about a minute). */
    static final Duration VOLUME_REFRESH = Duration.ofSeconds(10);

    /** What every runner shares: the API, the node, the address pool, how to build a command. */
    record Context(io.fabric8.kubernetes.client.KubernetesClient client, String node, Path podsDir, IpPool ips,
            LocalCommand commands) {
    }

    private final Context ctx;
    private final Pod pod;
    private final Container container;
    private final String ns;
    private final String name;
    private final String uid;
    private final Path dir;
    private final String ip;
    private final ConfigSource source;
    private final PodStatusReporter reporter;
    private final Prober prober;
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final AtomicBoolean deleted = new AtomicBoolean();
    private final AtomicBoolean terminating = new AtomicBoolean();
    private final AtomicBoolean stopCalled = new AtomicBoolean();
    private Thread thread;

    // Written by the runner's thread; read by stop() and report().
    private volatile ProcessGroup proc;
    private volatile boolean ready;
    private volatile String startedAt;
    private volatile Map<String, Object> waiting;
    private volatile Map<String, Object> lastState = Map.of();
    private volatile int restarts;
    // The running process's volumes and path rewriting: used by the runner's thread only.
    private PodVolumes volumes;
    private PathRewriter rewriter;
    private String refreshProblem; // the last one logged: a Secret gone for good is logged once, not every 10 s

    PodRunner(Context ctx, Pod pod) {
        this.ctx = ctx;
        this.pod = pod;
        this.container = pod.getSpec().getContainers().get(0);
        this.ns = pod.getMetadata().getNamespace();
        this.name = pod.getMetadata().getName();
        this.uid = pod.getMetadata().getUid();
        this.dir = ctx.podsDir().resolve(ns + "_" + name);
        this.ip = ctx.ips().take();
        this.source = new ConfigSource(ctx.client());
        this.reporter = new PodStatusReporter(ctx.client(), ns, name, ip);
        this.prober = new Prober(container, ip);
    }

    String namespace() {
        return ns;
    }

    String name() {
        return name;
    }

    String uid() {
        return uid;
    }

    /** True the first time: the pod's deletion is handled once. */
    boolean markTerminating() {
        return terminating.compareAndSet(false, true);
    }

    boolean terminating() {
        return terminating.get();
    }

    /** The pod is gone from the API: no more status updates. */
    void markDeleted() {
        deleted.set(true);
    }

    void start() {
        thread = new Thread(this::run, "pod-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            LOG.error("{}/{}: cannot create {}: {}", ns, name, dir, e.toString());
            return;
        }
        Backoff backoff = new Backoff();
        while (!stopped()) {
            try {
                startProcess();
            } catch (Exception e) { // bad spec or missing Secret: report it and retry
                LOG.warn("{}/{}: cannot start: {}", ns, name, e.toString());
                String message = String.valueOf(e.getMessage());
                waiting = Map.of("reason", "CreateContainerConfigError",
                        "message", message.substring(0, Math.min(500, message.length())));
                report();
                if (sleep(backoff.startFailed())) {
                    break;
                }
                continue;
            }
            report();
            long started = System.nanoTime();
            Integer code = supervise();
            if (code == null || stopped()) {
                break;
            }
            restarts++;
            ready = false;
            Map<String, Object> terminated = new LinkedHashMap<>();
            terminated.put("exitCode", code);
            terminated.put("reason", code != 0 ? "Error" : "Completed");
            terminated.put("startedAt", startedAt);
            terminated.put("finishedAt", Times.now());
            lastState = Map.of("terminated", terminated);
            Duration delay = backoff.exited(Duration.ofNanos(System.nanoTime() - started));
            waiting = Map.of("reason", "CrashLoopBackOff",
                    "message", "back-off " + delay.toSeconds() + "s restarting failed container");
            LOG.warn("{}/{}: exited with {}; restart #{} in {}s", ns, name, code, restarts, delay.toSeconds());
            report();
            if (sleep(delay)) {
                break;
            }
        }
    }

    private void startProcess() throws IOException {
        volumes = new PodVolumes(pod, container, dir, source);
        Map<String, String> mounts = volumes.mounts();
        rewriter = new PathRewriter(mounts);
        volumes.write(mounts, rewriter);
        Map<String, String> env = new PodEnvironment(pod, container, ip, ctx.node(), source).build(dir, rewriter);
        List<String> cmd = ctx.commands().of(container, ip, env, rewriter);
        Path log = dir.resolve(container.getName() + ".log");
        Files.writeString(log, "=== " + Times.now() + " start #" + restarts + ": " + String.join(" ", cmd) + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        ProcessGroup started = ProcessGroup.start(cmd, env, dir, log);
        proc = started;
        // For node-agent.sh stop, should the agent die.
        Files.writeString(dir.resolve("pid"), Long.toString(started.pid()));
        startedAt = Times.now();
        waiting = null;
        LOG.info("{}/{}: started pid {} on {}: {}", ns, name, started.pid(), ip, String.join(" ", cmd));
    }

    /** Probes until the process exits (its exit code) or the pod is stopped (null). */
    private Integer supervise() {
        Probe rp = container.getReadinessProbe();
        Probe lp = container.getLivenessProbe();
        long now = System.nanoTime();
        long nextReady = now + seconds(rp == null ? null : rp.getInitialDelaySeconds(), 0);
        long nextLive = now + seconds(lp == null ? null : lp.getInitialDelaySeconds(), 0);
        long nextRefresh = now + VOLUME_REFRESH.toNanos();
        int readyFailures = 0;
        int liveFailures = 0;
        boolean wasReady = false;
        while (true) {
            Integer code = proc.exitCode();
            if (code != null) {
                return code;
            }
            if (sleep(Duration.ofMillis(TICK_MILLIS))) {
                return null;
            }
            long t = System.nanoTime();
            if (t - nextRefresh >= 0) {
                nextRefresh = t + VOLUME_REFRESH.toNanos();
                refreshVolumes();
            }
            if (rp == null) {
                setReady(true);
            } else if (t - nextReady >= 0) {
                nextReady = t + seconds(rp.getPeriodSeconds(), 10);
                if (prober.probe(rp)) {
                    readyFailures = 0;
                    setReady(true);
                } else {
                    readyFailures++;
                    if (readyFailures >= Objects.requireNonNullElse(rp.getFailureThreshold(), 3) || !ready) {
                        setReady(false);
                    }
                }
            }
            wasReady = wasReady || ready;
            // Liveness starts once the container has been ready (standing in for the startup probe).
            if (lp != null && wasReady && t - nextLive >= 0) {
                nextLive = t + seconds(lp.getPeriodSeconds(), 10);
                if (prober.probe(lp)) {
                    liveFailures = 0;
                } else {
                    liveFailures++;
                    if (liveFailures >= Objects.requireNonNullElse(lp.getFailureThreshold(), 3)) {
                        LOG.warn("{}/{}: liveness probe failed {} times; killing", ns, name, liveFailures);
                        kill(5);
                        try {
                            return proc.waitFor();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return null;
                        }
                    }
                }
            }
        }
    }

    private void refreshVolumes() {
        try {
            List<String> changed = volumes.refresh(rewriter);
            if (!changed.isEmpty()) {
                LOG.info("{}/{}: volumes updated: {}", ns, name, changed);
            }
            refreshProblem = null;
        } catch (Exception e) { // the kubelet keeps the last contents too
            if (!e.toString().equals(refreshProblem)) {
                refreshProblem = e.toString();
                LOG.warn("{}/{}: cannot refresh its volumes, keeping their last contents: {}", ns, name,
                        refreshProblem);
            }
        }
    }

    private static long seconds(Integer value, int otherwise) {
        return TimeUnit.SECONDS.toNanos(Objects.requireNonNullElse(value, otherwise));
    }

    private void setReady(boolean value) {
        if (value != ready) {
            ready = value;
            LOG.info("{}/{}: ready={}", ns, name, value);
            report();
        }
    }

    /** SIGTERM to the process group, SIGKILL after grace seconds. */
    private void kill(long graceSeconds) {
        ProcessGroup p = proc;
        if (p != null && p.alive()) {
            p.signal("TERM");
            try {
                if (!p.waitFor(TimeUnit.SECONDS.toMillis(Math.max(graceSeconds, 0)))) {
                    LOG.warn("{}/{}: still running {}s after SIGTERM; SIGKILL", ns, name, graceSeconds);
                    p.signal("KILL");
                    p.waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.signal("KILL");
            }
        }
        try {
            Files.deleteIfExists(dir.resolve("pid"));
        } catch (IOException e) {
            LOG.warn("{}/{}: cannot remove its pid file: {}", ns, name, e.toString());
        }
    }

    /** preStop (an exec {@code sleep N} is honoured as a delay), SIGTERM, SIGKILL after the grace period. */
    void stop(long graceSeconds, boolean preStop) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(graceSeconds);
        // A second stop (the agent stopping while a deletion runs) only hurries the kill: the address is given back once.
        boolean first = stopCalled.compareAndSet(false, true);
        stopping.countDown();
        long sleep = preStopSleepSeconds();
        ProcessGroup p = proc;
        if (first && preStop && sleep >= 0 && p != null && p.alive()) {
            try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(Math.min(sleep, graceSeconds)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        kill(Math.max(TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()), 1));
        if (thread != null) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (first) {
            ctx.ips().give(ip);
            LOG.info("{}/{}: stopped", ns, name);
        }
    }

    /** N of a preStop {@code exec: [sleep, N]}, or -1 (other hooks are not run). */
    long preStopSleepSeconds() {
        Lifecycle lc = container.getLifecycle();
        ExecAction exec = lc == null || lc.getPreStop() == null ? null : lc.getPreStop().getExec();
        List<String> hook = exec == null || exec.getCommand() == null ? List.of() : exec.getCommand();
        if (hook.size() == 2 && hook.get(0).equals("sleep") && hook.get(1).matches("\\d+")) {
            return Long.parseLong(hook.get(1));
        }
        return -1;
    }

    private boolean stopped() {
        return stopping.getCount() == 0;
    }

    /** Waits, waking early when the pod is stopped; true when it was. */
    private boolean sleep(Duration d) {
        try {
            return stopping.await(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private void report() {
        if (deleted.get()) {
            return;
        }
        ProcessGroup p = proc;
        boolean running = p != null && p.alive() && waiting == null;
        reporter.report(new PodStatusReporter.ContainerState(container.getName(),
                Objects.requireNonNullElse(container.getImage(), ""), p == null ? null : p.pid(), running, ready,
                restarts, startedAt, waiting, lastState));
    }
}
