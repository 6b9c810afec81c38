package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.Role;
import dev.imcluster.operator.model.ServiceModel;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/**
 * The Services, all sharing the reconciler's Service informer.
 *
 * <p>When JOSDK creates an object by server-side apply it sets {@code resourceVersion: "1"} on it, as a create-only
 * precondition. API servers before 1.23 answer such an apply that creates a Service with HTTP 500 "resourceVersion
 * should not be set on objects to be created" (kubernetes#106745, fixed by the Service REST rewrite in 1.23;
 * JOSDK#2033), so no Service was ever created on 1.20. A Service's desired object therefore never carries a
 * resourceVersion: it is created by a plain apply. The other kinds keep the precondition. (Turning off
 * {@code createResourceOnlyIfNotExistingWithSSA} through {@code @KubernetesDependent} would do the same, but that
 * annotation also replaces the dependent's whole configuration.)
 */
public final class ServiceDependents {
    private ServiceDependents() {
    }

    /** A Service dependent: created without JOSDK's resourceVersion precondition (see above). */
    abstract static class ServiceDependent extends NamedDependent<Service> {
        ServiceDependent() {
            super(Service.class);
        }

        @Override
        protected void addMetadata(boolean forMatch, Service actual, Service target, PubSubCluster primary,
                                   Context<PubSubCluster> context) {
            super.addMetadata(forMatch, actual, target, primary, context);
            if (actual == null && !forMatch) {
                target.getMetadata().setResourceVersion(null);
            }
        }
    }

    public static class CometExternal extends ServiceDependent {
        @Override
        protected String objectName(PubSubCluster p) {
            return Names.role(p, Role.COMET);
        }

        @Override
        protected Service desired(PubSubCluster p, Context<PubSubCluster> context) {
            return ServiceModel.cometExternal(p);
        }
    }

    public static class CometHeadless extends ServiceDependent {
        @Override
        protected String objectName(PubSubCluster p) {
            return Names.cometHeadless(p);
        }

        @Override
        protected Service desired(PubSubCluster p, Context<PubSubCluster> context) {
            return ServiceModel.cometHeadless(p);
        }
    }

    public static class Logic extends ServiceDependent {
        @Override
        protected String objectName(PubSubCluster p) {
            return Names.role(p, Role.LOGIC);
        }

        @Override
        protected Service desired(PubSubCluster p, Context<PubSubCluster> context) {
            return ServiceModel.logic(p);
        }
    }

    public static class Metrics extends ServiceDependent {
        @Override
        protected String objectName(PubSubCluster p) {
            return Names.metrics(p);
        }

        @Override
        protected Service desired(PubSubCluster p, Context<PubSubCluster> context) {
            return ServiceModel.metrics(p);
        }
    }

    public static class Redis extends ServiceDependent {
        @Override
        protected String objectName(PubSubCluster p) {
            return Names.redis(p);
        }

        @Override
        protected Service desired(PubSubCluster p, Context<PubSubCluster> context) {
            return ServiceModel.redis(p);
        }
    }

    public static class Nats extends ServiceDependent {
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
