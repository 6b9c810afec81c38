package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.model.CertManagerModel;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.Role;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

import java.util.List;
import java.util.Objects;

/**
 * Creates, updates or removes the cert-manager Certificates of spec.tls.internal.issuerRef, one per role, only
 * when cert-manager's CRD exists (no discovery or watch for a kind the server lacks; without it the status warns).
 * Owned through an owner reference like the rest; cert-manager owns the Secrets it writes.
 */
final class CertManagerSync {
    static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder()
            .withGroup(CertManagerModel.GROUP).withVersion(CertManagerModel.VERSION)
            .withKind(CertManagerModel.KIND).withPlural(CertManagerModel.PLURAL).withNamespaced(true).build();

    private CertManagerSync() {
    }

    static void reconcile(PubSubCluster c, KubernetesClient client, ApiCapabilities caps) {
        if (!caps.certManagerCrd()) {
            return;
        }
        String ns = c.getMetadata().getNamespace();
        for (Role role : Role.values()) {
            var resource = client.genericKubernetesResources(CONTEXT).inNamespace(ns).withName(Names.internalTls(c, role));
            GenericKubernetesResource live = resource.get();
            if (!CertManagerModel.wanted(c)) {
                if (live != null) {
                    resource.delete();
                }
                continue;
            }
            GenericKubernetesResource desired = CertManagerModel.desired(c, role);
            desired.getMetadata().setOwnerReferences(List.of(new OwnerReferenceBuilder()
                    .withApiVersion(c.getApiVersion()).withKind(c.getKind()).withName(c.getMetadata().getName())
                    .withUid(c.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true).build()));
            if (live == null) {
                client.genericKubernetesResources(CONTEXT).inNamespace(ns).resource(desired).create();
            } else if (!Objects.equals(live.getAdditionalProperties().get("spec"),
                    desired.getAdditionalProperties().get("spec"))
                    || !Objects.equals(live.getMetadata().getLabels(), desired.getMetadata().getLabels())) {
                desired.getMetadata().setResourceVersion(live.getMetadata().getResourceVersion());
                client.genericKubernetesResources(CONTEXT).inNamespace(ns).resource(desired).update();
            }
        }
    }
}
