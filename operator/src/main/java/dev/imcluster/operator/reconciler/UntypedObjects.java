package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

import java.util.List;
import java.util.Objects;

/**
 * One owned object of a kind whose CRD may be absent (ServiceMonitor, cert-manager Certificate), handled without
 * an informer: read, then created, replaced when its spec or labels differ, or deleted. The callers check that
 * the CRD exists first, so no discovery or watch is ever made for a kind the server lacks.
 */
final class UntypedObjects {
    private UntypedObjects() {
    }

    /** Makes object {@code name} of {@code kind} in the cluster's namespace {@code desired}; null deletes it. */
    static void sync(KubernetesClient client, ResourceDefinitionContext kind, PubSubCluster owner, String name,
                     GenericKubernetesResource desired) {
        var objects = client.genericKubernetesResources(kind).inNamespace(owner.getMetadata().getNamespace());
        GenericKubernetesResource live = objects.withName(name).get();
        if (desired == null) {
            if (live != null) {
                objects.withName(name).delete();
            }
            return;
        }
        desired.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder()
                .withApiVersion(owner.getApiVersion()).withKind(owner.getKind()).withName(owner.getMetadata().getName())
                .withUid(owner.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true).build()));
        if (live == null) {
            objects.resource(desired).create();
        } else if (!Objects.equals(live.getAdditionalProperties().get("spec"),
                desired.getAdditionalProperties().get("spec"))
                || !Objects.equals(live.getMetadata().getLabels(), desired.getMetadata().getLabels())) {
            desired.getMetadata().setResourceVersion(live.getMetadata().getResourceVersion());
            objects.resource(desired).update();
        }
    }
}
