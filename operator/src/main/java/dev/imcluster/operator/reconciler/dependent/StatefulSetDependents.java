package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.model.MqttModel;
import dev.imcluster.operator.model.NatsModel;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.RedisModel;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

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
                    (p, c) -> RedisModel.statefulSet(p, ReconcileInputs.of(c).operator()));
        }
    }

    @KubernetesDependent(matcher = Matcher.class)
    public static class Nats extends NamedDependent.Of<StatefulSet> {
        public Nats() {
            super(StatefulSet.class, Names::nats,
                    (p, c) -> NatsModel.statefulSet(p, ReconcileInputs.of(c).operator()));
        }
    }

    @KubernetesDependent(matcher = Matcher.class)
    public static class Mqtt extends NamedDependent.Of<StatefulSet> {
        public Mqtt() {
            super(StatefulSet.class, Names::mqtt,
                    (p, c) -> MqttModel.statefulSet(p, ReconcileInputs.of(c).operator()));
        }
    }
}
