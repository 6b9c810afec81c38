package dev.imcluster.operator.reconciler;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;

/**
 * Writes the status, only when it changed, through JOSDK's {@link PrimaryUpdateAndCacheUtils}: the patched resource
 * is cached for the next reconciliation, so that one never starts from a status older than our own last write (a
 * backend swap must never step back, nor a transition be announced twice).
 */
final class StatusPatch {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private StatusPatch() {
    }

    /** Patches {@code next} when it differs from the cluster's status; the cluster itself is left as it was. */
    static void ifChanged(PubSubCluster cluster, PubSubClusterStatus next, Context<PubSubCluster> context) {
        if (same(cluster.getStatus(), next)) {
            return;
        }
        if (ssa(context)) {
            PubSubCluster patch = identity(cluster);
            patch.setStatus(next);
            PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(cluster, patch, context);
        } else {
            PrimaryUpdateAndCacheUtils.patchStatusAndCacheResource(cluster, context, c -> {
                c.setStatus(next);
                return c;
            });
        }
    }

    /**
     * What a status patch sends. With server-side apply, only the identity and the status: API servers before 1.22
     * (no reset fields for subresources) record every field of an apply to the status subresource as owned by the
     * operator, spec included, and a user's next {@code kubectl apply --server-side} of the spec then conflicts with
     * the operator's field manager. Without SSA (a JSON patch computed against the original), the whole object.
     */
    static PubSubCluster of(PubSubCluster cluster, Context<PubSubCluster> context) {
        if (!ssa(context)) {
            return cluster;
        }
        PubSubCluster patch = identity(cluster);
        patch.setStatus(cluster.getStatus());
        return patch;
    }

    private static PubSubCluster identity(PubSubCluster cluster) {
        PubSubCluster patch = new PubSubCluster();
        patch.setMetadata(new ObjectMetaBuilder()
                .withName(cluster.getMetadata().getName())
                .withNamespace(cluster.getMetadata().getNamespace())
                .withUid(cluster.getMetadata().getUid())
                .build());
        patch.setSpec(null);   // CustomResource's constructor makes a default spec; its defaults must not be applied
        return patch;
    }

    private static boolean ssa(Context<PubSubCluster> context) {
        return context.getControllerConfiguration().getConfigurationService().useSSAToPatchPrimaryResource();
    }

    private static boolean same(PubSubClusterStatus a, PubSubClusterStatus b) {
        if (a == null || b == null) {
            return a == b;
        }
        return MAPPER.valueToTree(a).equals(MAPPER.valueToTree(b));
    }
}
