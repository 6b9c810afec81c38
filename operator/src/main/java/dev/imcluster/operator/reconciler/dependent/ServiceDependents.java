package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.Role;
import dev.imcluster.operator.model.ServiceModel;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * The Services, all sharing the reconciler's Service informer. {@code createResourceOnlyIfNotExistingWithSSA = false}:
 * otherwise JOSDK sends resourceVersion "1" on the apply that creates a Service, which a 1.20 API server refuses with
 * a 500 ("resourceVersion should not be set on objects to be created", kubernetes#106745).
 */
public final class ServiceDependents {
    private ServiceDependents() {
    }

    @KubernetesDependent(createResourceOnlyIfNotExistingWithSSA = false)
    public static class CometExternal extends NamedDependent<Service> {
        public CometExternal() {
            super(Service.class);
        }

        @Override
        protected String objectName(PubSubCluster p) {
            return Names.role(p, Role.COMET);
        }

        @Override
        protected Service desired(PubSubCluster p, Context<PubSubCluster> context) {
            return ServiceModel.cometExternal(p);
        }
    }

    @KubernetesDependent(createResourceOnlyIfNotExistingWithSSA = false)
    public static class CometHeadless extends NamedDependent<Service> {
        public CometHeadless() {
            super(Service.class);
        }

        @Override
        protected String objectName(PubSubCluster p) {
            return Names.cometHeadless(p);
        }

        @Override
        protected Service desired(PubSubCluster p, Context<PubSubCluster> context) {
            return ServiceModel.cometHeadless(p);
        }
    }

    @KubernetesDependent(createResourceOnlyIfNotExistingWithSSA = false)
    public static class Logic extends NamedDependent<Service> {
        public Logic() {
            super(Service.class);
        }

        @Override
        protected String objectName(PubSubCluster p) {
            return Names.role(p, Role.LOGIC);
        }

        @Override
        protected Service desired(PubSubCluster p, Context<PubSubCluster> context) {
            return ServiceModel.logic(p);
        }
    }

    @KubernetesDependent(createResourceOnlyIfNotExistingWithSSA = false)
    public static class Metrics extends NamedDependent<Service> {
        public Metrics() {
            super(Service.class);
        }

        @Override
        protected String objectName(PubSubCluster p) {
            return Names.metrics(p);
        }

        @Override
        protected Service desired(PubSubCluster p, Context<PubSubCluster> context) {
            return ServiceModel.metrics(p);
        }
    }

    @KubernetesDependent(createResourceOnlyIfNotExistingWithSSA = false)
    public static class Redis extends NamedDependent<Service> {
        public Redis() {
            super(Service.class);
        }

        @Override
        protected String objectName(PubSubCluster p) {
            return Names.redis(p);
        }

        @Override
        protected Service desired(PubSubCluster p, Context<PubSubCluster> context) {
            return ServiceModel.redis(p);
        }
    }

    @KubernetesDependent(createResourceOnlyIfNotExistingWithSSA = false)
    public static class Nats extends NamedDependent<Service> {
        public Nats() {
            super(Service.class);
        }

        @Override
        protected String objectName(PubSubCluster p) {
            return Names.nats(p);
        }

        @Override
        protected Service desired(PubSubCluster p, Context<PubSubCluster> context) {
            return ServiceModel.nats(p);
        }
    }
}
