package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.ManagedBackend;
import dev.imcluster.operator.model.MqttModel;
import dev.imcluster.operator.model.NatsModel;
import dev.imcluster.operator.model.RedisModel;
import dev.imcluster.operator.model.SecretRefs;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;

/** Workflow conditions: per-cluster options (reconcile preconditions) and API capabilities (activation). */
public final class Conditions {
    private Conditions() {
    }

    /** The operator runs the session Redis. */
    public static class ManagedRedis implements Condition<Object, PubSubCluster> {
        @Override
        public boolean isMet(DependentResource<Object, PubSubCluster> d, PubSubCluster p, Context<PubSubCluster> c) {
            return RedisModel.managed(p);
        }
    }

    /** The spec references no internal token Secret, so the operator generates one. */
    public static class GeneratedInternalToken implements Condition<Object, PubSubCluster> {
        @Override
        public boolean isMet(DependentResource<Object, PubSubCluster> d, PubSubCluster p, Context<PubSubCluster> c) {
            return SecretRefs.generatedInternalToken(p);
        }
    }

    /** The operator runs NATS (for the swap state this reconciliation renders). */
    public static class ManagedNats implements Condition<Object, PubSubCluster> {
        @Override
        public boolean isMet(DependentResource<Object, PubSubCluster> d, PubSubCluster p, Context<PubSubCluster> c) {
            return NatsModel.runs(p, ReconcileInputs.of(c).swap());
        }
    }

    /** The operator runs NATS as a cluster of several servers (for the swap state this reconciliation renders). */
    public static class ManagedNatsCluster implements Condition<Object, PubSubCluster> {
        @Override
        public boolean isMet(DependentResource<Object, PubSubCluster> d, PubSubCluster p, Context<PubSubCluster> c) {
            return NatsModel.runs(p, ReconcileInputs.of(c).swap()) && NatsModel.replicas(p) > 1;
        }
    }

    /** The operator runs Mosquitto (for the swap state this reconciliation renders). */
    public static class ManagedMqtt implements Condition<Object, PubSubCluster> {
        @Override
        public boolean isMet(DependentResource<Object, PubSubCluster> d, PubSubCluster p, Context<PubSubCluster> c) {
            return MqttModel.runs(p, ReconcileInputs.of(c).swap());
        }
    }

    /** The operator issues the internal certificates itself (spec.tls.internal without an issuerRef). */
    public static class OwnInternalCa implements Condition<Object, PubSubCluster> {
        @Override
        public boolean isMet(DependentResource<Object, PubSubCluster> d, PubSubCluster p, Context<PubSubCluster> c) {
            return ReconcileInputs.of(c).certificates() != null;
        }
    }

    /** The operator issues the managed Redis's server certificate (own CA, managed Redis). */
    public static class RedisInternalTls implements Condition<Object, PubSubCluster> {
        @Override
        public boolean isMet(DependentResource<Object, PubSubCluster> d, PubSubCluster p, Context<PubSubCluster> c) {
            return issues(c, ManagedBackend.REDIS);
        }
    }

    /** The operator issues the managed NATS's server certificate (own CA, managed NATS). */
    public static class NatsInternalTls implements Condition<Object, PubSubCluster> {
        @Override
        public boolean isMet(DependentResource<Object, PubSubCluster> d, PubSubCluster p, Context<PubSubCluster> c) {
            return issues(c, ManagedBackend.NATS);
        }
    }

    /** The operator issues the managed Mosquitto's server certificate (own CA, managed Mosquitto). */
    public static class MqttInternalTls implements Condition<Object, PubSubCluster> {
        @Override
        public boolean isMet(DependentResource<Object, PubSubCluster> d, PubSubCluster p, Context<PubSubCluster> c) {
            return issues(c, ManagedBackend.MQTT);
        }
    }

    private static boolean issues(Context<PubSubCluster> c, ManagedBackend backend) {
        var plan = ReconcileInputs.of(c).certificates();
        return plan != null && plan.backends().containsKey(backend);
    }

    public static class NetworkPolicyEnabled implements Condition<Object, PubSubCluster> {
        @Override
        public boolean isMet(DependentResource<Object, PubSubCluster> d, PubSubCluster p, Context<PubSubCluster> c) {
            return p.getSpec().networkPolicy != null && p.getSpec().networkPolicy.isEnabled();
        }
    }

    /** policy/v1 exists (Kubernetes 1.21+). */
    public static class PdbV1 implements Condition<Object, PubSubCluster> {
        @Override
        public boolean isMet(DependentResource<Object, PubSubCluster> d, PubSubCluster p, Context<PubSubCluster> c) {
            return ReconcileInputs.of(c).capabilities().policyV1();
        }
    }

    /** Only policy/v1beta1 exists (Kubernetes 1.20). */
    public static class PdbV1beta1 implements Condition<Object, PubSubCluster> {
        @Override
        public boolean isMet(DependentResource<Object, PubSubCluster> d, PubSubCluster p, Context<PubSubCluster> c) {
            return !ReconcileInputs.of(c).capabilities().policyV1();
        }
    }
}
