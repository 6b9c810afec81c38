package dev.imcluster.nodeagent;

import io.fabric8.kubernetes.api.model.BindingBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduler's and kubelet's pod loop: binds the Pending managed pods to this node, starts a runner for each of
 * its pods, and stops the runners of pods being deleted (then deletes them for good) or gone.
 */
final class PodSync {
    private static final Logger LOG = LoggerFactory.getLogger(PodSync.class);
    static final long DEFAULT_GRACE_SECONDS = 30;

    private final KubernetesClient client;
    private final PodRunner.Context ctx;
    private final Map<String, PodRunner> runners = new HashMap<>(); // pod uid -> runner
    // Bound pods whose binding the informer has not shown yet: bound once, not again.
    private final Set<String> bound = new HashSet<>();

    PodSync(KubernetesClient client, PodRunner.Context ctx) {
        this.client = client;
        this.ctx = ctx;
    }

    /** One pass over the managed pods (the informer's cache); called from one thread only. */
    synchronized void sync(List<Pod> pods) {
        Set<String> seen = new HashSet<>();
        Set<String> pending = new HashSet<>();
        for (Pod pod : pods) {
            ObjectMeta meta = pod.getMetadata();
            String uid = meta.getUid();
            String nodeName = pod.getSpec().getNodeName();
            if (nodeName == null || nodeName.isEmpty()) {
                pending.add(uid);
                if (meta.getDeletionTimestamp() == null && !bound.contains(uid)) {
                    try {
                        bind(pod);
                        bound.add(uid);
                    } catch (KubernetesClientException e) {
                        LOG.warn("cannot bind {}/{}: {}", meta.getNamespace(), meta.getName(), e.getMessage());
                    }
                }
                continue;
            }
            if (!nodeName.equals(ctx.node())) {
                continue;
            }
            seen.add(uid);
            PodRunner runner = runners.get(uid);
            if (meta.getDeletionTimestamp() != null) {
                if (runner == null) {
                    runner = new PodRunner(ctx, pod);
                    runners.put(uid, runner);
                }
                if (runner.markTerminating()) {
                    long grace = Objects.requireNonNullElse(meta.getDeletionGracePeriodSeconds(), DEFAULT_GRACE_SECONDS);
                    LOG.info("{}/{}: deleting (grace {}s)", meta.getNamespace(), meta.getName(), grace);
                    PodRunner r = runner;
                    background("delete-" + meta.getName(), () -> finishDelete(r, grace));
                }
            } else if (runner == null) {
                runner = new PodRunner(ctx, pod);
                runners.put(uid, runner);
                runner.start();
            }
        }
        bound.retainAll(pending);
        for (String uid : new ArrayList<>(runners.keySet())) {
            if (!seen.contains(uid)) { // force-deleted or gone
                PodRunner runner = runners.remove(uid);
                if (!runner.terminating()) {
                    runner.markDeleted();
                    background("stop-" + runner.name(), () -> runner.stop(0, false));
                }
            }
        }
    }

    /** Stops every runner (no preStop, a short grace): the agent is stopping. */
    void stopAll(long graceSeconds) {
        List<PodRunner> all;
        synchronized (this) {
            all = new ArrayList<>(runners.values());
        }
        LOG.info("stopping {} pods", all.size());
        List<Thread> threads = new ArrayList<>();
        for (PodRunner r : all) {
            threads.add(background("stop-" + r.name(), () -> r.stop(graceSeconds, false)));
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        LOG.info("stopped");
    }

    private void bind(Pod pod) {
        String ns = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        client.bindings().inNamespace(ns).resource(new BindingBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withNewTarget().withApiVersion("v1").withKind("Node").withName(ctx.node()).endTarget()
                .build()).create();
        LOG.info("bound {}/{}", ns, name);
    }

    private void finishDelete(PodRunner runner, long grace) {
        runner.stop(grace, true);
        runner.markDeleted();
        deleteForGood(runner);
    }

    /** DELETE with grace 0, only if the pod is still this one (a StatefulSet makes a new pod of the same name). */
    private void deleteForGood(PodRunner runner) {
        String url = client.getMasterUrl().toString().replaceAll("/$", "")
                + "/api/v1/namespaces/" + runner.namespace() + "/pods/" + runner.name();
        String body = PodStatusReporter.json(Map.of("apiVersion", "v1", "kind", "DeleteOptions",
                "gracePeriodSeconds", 0, "preconditions", Map.of("uid", runner.uid())));
        HttpRequest request = client.getHttpClient().newHttpRequestBuilder().uri(url)
                .method("DELETE", "application/json", body).build();
        try {
            HttpResponse<String> response = client.getHttpClient().sendAsync(request, String.class)
                    .get(30, TimeUnit.SECONDS);
            int code = response.code();
            if (code >= 300 && code != 404 && code != 409) {
                LOG.warn("{}/{}: final delete failed: HTTP {}: {}", runner.namespace(), runner.name(), code,
                        abbreviate(response.body()));
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn("{}/{}: final delete failed: {}", runner.namespace(), runner.name(), e.toString());
        }
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.substring(0, Math.min(300, s.length()));
    }

    private static Thread background(String name, Runnable task) {
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
