package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.ManagedBackend;
import dev.imcluster.operator.model.MqttModel;
import dev.imcluster.operator.model.NatsModel;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.RedisModel;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

import java.util.Map;

/** The managed backends' StatefulSets, sharing the reconciler's StatefulSet informer. */
public final class StatefulSetDependents {
    private StatefulSetDependents() {
    }

    /** Tolerates the data volume's {@code emptyDir: {}} (no storage set): see {@link EmptyDirMatcher}. */
    public static final class Matcher extends EmptyDirMatcher<StatefulSet> {
    }

    @KubernetesDependent(matcher = Matcher.class)
    public static class Redis extends NamedDependent.Of<StatefulSet> {
        public Redis() {
            super(StatefulSet.class, Names::redis,
                    (p, c) -> RedisModel.statefulSet(p, ReconcileInputs.of(c).operator(),
                            certificate(c, ManagedBackend.REDIS)));
        }
    }

    @KubernetesDependent(matcher = Matcher.class)
    public static class Nats extends NamedDependent.Of<StatefulSet> {
        public Nats() {
            super(StatefulSet.class, Names::nats,
                    (p, c) -> NatsModel.statefulSet(p, ReconcileInputs.of(c).operator(),
                            certificate(c, ManagedBackend.NATS)));
        }

        /**
         * A StatefulSet's serviceName cannot change, and it does when a single server becomes a cluster (or back):
         * the StatefulSet is then deleted with its pods left running (orphaned) and created again on the next
         * reconciliation, which adopts the pods and rolls them onto the new template one at a time.
         */
        @Override
        public StatefulSet update(StatefulSet actual, StatefulSet desired, PubSubCluster primary,
                                  Context<PubSubCluster> context) {
            if (NatsModel.mustRecreate(actual, desired)) {
                context.getClient().resource(actual).withPropagationPolicy(DeletionPropagation.ORPHAN).delete();
                return actual;
            }
            return super.update(actual, desired, primary, context);
        }
    }

    @KubernetesDependent(matcher = Matcher.class)
    public static class Mqtt extends NamedDependent.Of<StatefulSet> {
        public Mqtt() {
            super(StatefulSet.class, Names::mqtt,
                    (p, c) -> MqttModel.statefulSet(p, ReconcileInputs.of(c).operator(),
                            certificate(c, ManagedBackend.MQTT)));
        }
    }

    /** The backend's certificate (PEM by key) as this reconciliation knows it; null without TLS. */
    private static Map<String, String> certificate(Context<PubSubCluster> c, ManagedBackend backend) {
        return ReconcileInputs.of(c).backendCertificates().get(backend);
    }
}
