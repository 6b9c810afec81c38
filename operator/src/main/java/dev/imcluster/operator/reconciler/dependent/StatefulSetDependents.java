package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.NatsModel;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.RedisModel;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/** The managed backends' StatefulSets, sharing the reconciler's StatefulSet informer. */
public final class StatefulSetDependents {
    private StatefulSetDependents() {
    }

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
