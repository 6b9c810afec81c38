package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.model.BrokerConfigRenderer;
import dev.imcluster.operator.model.InternalCertificates;
import dev.imcluster.operator.model.ManagedBackend;
import dev.imcluster.operator.model.Role;
import dev.imcluster.operator.model.SwapState;
import dev.imcluster.operator.model.OperatorConfig;
import io.javaoperatorsdk.operator.api.reconciler.Context;

import java.util.Map;

/**
 * What the dependents need beyond the primary, computed once per reconciliation by the reconciler and handed over
 * through JOSDK's per-reconciliation context (dependents are instantiated by JOSDK, so no constructor injection):
 * the backend swap state this reconciliation applies ({@code swap}, null when none runs), which every dependent
 * and workflow condition reads instead of the primary's status, the broker config rendered once for it, and the
 * internal certificates' plan (null unless the operator issues them), and each managed backend's certificate
 * (PEM by key) as the plan writes it or cert-manager wrote it (absent: no TLS, or not issued yet), whose hash
 * rolls the backend, and the broker image each role's Deployment gets (a new image reaches the roles one at a
 * time).
 */
public record ReconcileInputs(OperatorConfig operator, ApiCapabilities capabilities, SwapState swap,
                              BrokerConfigRenderer.Rendered config, InternalCertificates.Plan certificates,
                              Map<ManagedBackend, Map<String, String>> backendCertificates,
                              Map<Role, String> images) {

    private static final String KEY = ReconcileInputs.class.getName();

    public static ReconcileInputs of(Context<PubSubCluster> context) {
        return context.managedWorkflowAndDependentResourceContext().getMandatory(KEY, ReconcileInputs.class);
    }

    public void putInto(Context<PubSubCluster> context) {
        context.managedWorkflowAndDependentResourceContext().put(KEY, this);
    }
}
