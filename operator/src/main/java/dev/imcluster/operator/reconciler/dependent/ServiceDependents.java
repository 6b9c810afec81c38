package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.Role;
import dev.imcluster.operator.model.ServiceModel;
import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.reconciler.Context;

import java.util.function.Function;

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

    /**
     * A Service dependent: created without JOSDK's resourceVersion precondition (see above); named and built by
     * the two functions each subclass passes (JOSDK instantiates dependents by class, hence a class per Service).
     */
    abstract static class ServiceDependent extends NamedDependent.Of<Service> {
        ServiceDependent(Function<PubSubCluster, String> name, Function<PubSubCluster, Service> model) {
            super(Service.class, name, (p, c) -> model.apply(p));
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
        public CometExternal() {
            super(p -> Names.role(p, Role.COMET), ServiceModel::cometExternal);
        }
    }

    public static class CometHeadless extends ServiceDependent {
        public CometHeadless() {
            super(Names::cometHeadless, ServiceModel::cometHeadless);
        }
    }

    public static class Logic extends ServiceDependent {
        public Logic() {
            super(p -> Names.role(p, Role.LOGIC), ServiceModel::logic);
        }
    }

    public static class Metrics extends ServiceDependent {
        public Metrics() {
            super(Names::metrics, ServiceModel::metrics);
        }
    }

    public static class Redis extends ServiceDependent {
        public Redis() {
            super(Names::redis, ServiceModel::redis);
        }
    }

    public static class Nats extends ServiceDependent {
        public Nats() {
            super(Names::nats, ServiceModel::nats);
        }
    }

    public static class NatsCluster extends ServiceDependent {
        public NatsCluster() {
            super(Names::natsCluster, ServiceModel::natsCluster);
        }
    }

    public static class Mqtt extends ServiceDependent {
        public Mqtt() {
            super(Names::mqtt, ServiceModel::mqtt);
        }
    }
}
