package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.Role;
import dev.imcluster.operator.model.ServiceModel;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/** The Services, all sharing the reconciler's Service informer. */
public final class ServiceDependents {
    private ServiceDependents() {
    }

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
