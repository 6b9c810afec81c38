package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.Role;
import dev.imcluster.operator.model.ServiceModel;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * The Services, all sharing the reconciler's Service informer.
 *
 * <p>Each one turns off JOSDK's {@code createResourceOnlyIfNotExistingWithSSA}: with it, JOSDK creates through
 * server-side apply with {@code resourceVersion: "1"} as a create-only precondition, and API servers before 1.23
 * answer an apply that creates a Service carrying a resourceVersion with HTTP 500 "resourceVersion should not be
 * set on objects to be created" (kubernetes#106745, fixed by the Service REST rewrite in 1.23; JOSDK#2033). So
 * Services are created by a plain apply; the other kinds keep the precondition. The annotation is not inherited,
 * hence one per class.
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
