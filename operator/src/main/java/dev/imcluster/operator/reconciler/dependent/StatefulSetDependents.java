package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.NatsModel;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.RedisModel;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/** The managed backends' StatefulSets, sharing the reconciler's StatefulSet informer. */
public final class StatefulSetDependents {
    private StatefulSetDependents() {
    }

    /** Tolerates the data volume's {@code emptyDir: {}} (no storage set): see {@link EmptyDirMatcher}. */
    public static final class Matcher extends EmptyDirMatcher<StatefulSet> {
    }

    @KubernetesDependent(matcher = Matcher.class)
    public static class Redis extends NamedDependent<StatefulSet> {
        public Redis() {
            super(StatefulSet.class);
        }

        @Override
        protected String objectName(PubSubCluster p) {
            return Names.redis(p);
        }

        @Override
        protected StatefulSet desired(PubSubCluster p, Context<PubSubCluster> context) {
            return RedisModel.statefulSet(p, ReconcileInputs.of(context).operator());
        }
    }

    @KubernetesDependent(matcher = Matcher.class)
    public static class Nats extends NamedDependent<StatefulSet> {
        public Nats() {
            super(StatefulSet.class);
        }

        @Override
        protected String objectName(PubSubCluster p) {
            return Names.nats(p);
        }

        @Override
        protected StatefulSet desired(PubSubCluster p, Context<PubSubCluster> context) {
            return NatsModel.statefulSet(p, ReconcileInputs.of(context).operator());
        }
    }
}
