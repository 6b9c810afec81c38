package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.SwapState;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Asks whether the backend a swap leaves is drained. The real one ({@link HttpDrainProbe}) reads job's
 * {@code GET /migration} on every job pod; tests on the mock API server (which runs no pods) inject a fake.
 */
@FunctionalInterface
public interface DrainProbe {

    /** drained: every logic pod runs the new config and every job pod reports the old backend drained. */
    record Report(boolean drained, String detail) {
    }

    /**
     * @param logicHash the config hash logic pods must carry: a pod with another one (even a terminating one) may
     *                  still publish to the old backend, so a zero lag read while it exists proves nothing
     */
    Report check(KubernetesClient client, PubSubCluster cluster, SwapState state, String logicHash);
}
