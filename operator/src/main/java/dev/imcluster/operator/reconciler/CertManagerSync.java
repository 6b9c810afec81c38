package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.model.CertManagerModel;
import dev.imcluster.operator.model.ManagedBackend;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;

import java.util.Set;


/**
 * Creates, updates or removes the cert-manager Certificates of spec.tls.internal.issuerRef, one per role and one
 * per managed backend that serves TLS, only
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
        for (Role role : Role.values()) {
            UntypedObjects.sync(client, CONTEXT, c, Names.internalTls(c, role),
                    CertManagerModel.wanted(c) ? CertManagerModel.desired(c, role) : null);
        }
        Set<ManagedBackend> tls = ManagedBackend.withTls(c);
        for (ManagedBackend backend : ManagedBackend.values()) {
            UntypedObjects.sync(client, CONTEXT, c, Names.internalTls(c, backend),
                    CertManagerModel.wanted(c) && tls.contains(backend) ? CertManagerModel.desired(c, backend) : null);
        }
    }
}
