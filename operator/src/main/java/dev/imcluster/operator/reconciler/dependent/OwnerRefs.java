package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * Marks the owner reference JOSDK adds as the controller reference (kubectl shows "Controlled By", and no other
 * controller may adopt the object) that blocks the owner's foreground deletion until the object is gone.
 */
final class OwnerRefs {
    private OwnerRefs() {
    }

    static void markController(HasMetadata target, PubSubCluster primary) {
        if (target.getMetadata().getOwnerReferences() == null) {
            return;
        }
        target.getMetadata().getOwnerReferences().stream()
                .filter(r -> primary.getMetadata().getUid() != null && primary.getMetadata().getUid().equals(r.getUid()))
                .forEach(r -> {
                    r.setController(true);
                    r.setBlockOwnerDeletion(true);
                });
    }
}
