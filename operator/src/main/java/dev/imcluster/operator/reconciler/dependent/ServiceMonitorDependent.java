package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.Labels;
import dev.imcluster.operator.model.ServiceMonitorModel;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.GroupVersionKind;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.Updater;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.GenericKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The ServiceMonitor, untyped; only activated when the monitoring CRD exists (see ServiceMonitorCondition). */
@KubernetesDependent(informer = @Informer(labelSelector = Labels.MANAGED_SELECTOR))
public class ServiceMonitorDependent extends GenericKubernetesDependentResource<PubSubCluster>
        implements Creator<GenericKubernetesResource, PubSubCluster>, Updater<GenericKubernetesResource, PubSubCluster>,
        GarbageCollected<PubSubCluster> {

    public ServiceMonitorDependent() {
        super(new GroupVersionKind(ServiceMonitorModel.GROUP, ServiceMonitorModel.VERSION, ServiceMonitorModel.KIND));
    }

    @Override
    protected GenericKubernetesResource desired(PubSubCluster primary, Context<PubSubCluster> context) {
        return ServiceMonitorModel.desired(primary);
    }
}
