package dev.imcluster.operator.model;

import io.fabric8.kubernetes.api.model.Lifecycle;
import io.fabric8.kubernetes.api.model.LifecycleBuilder;

/**
 * comet's preStop: wait until the pod has left the Services' endpoints (so no new client lands on it), then
 * SIGTERM makes the broker close its connections within comet.drainTimeout. An exec sleep, not the sleep action,
 * because the sleep action needs Kubernetes 1.29.
 */
public final class CometShutdown {
    public static final int PRE_STOP_SECONDS = 5;

    private CometShutdown() {
    }

    public static Lifecycle lifecycle() {
        return new LifecycleBuilder()
                .withNewPreStop().withNewExec().withCommand("sleep", String.valueOf(PRE_STOP_SECONDS)).endExec()
                .endPreStop()
                .build();
    }
}
