package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.ApiCapabilities;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.MqttModel;
import dev.imcluster.operator.model.NatsModel;
import dev.imcluster.operator.model.NetworkPolicyModel;
import dev.imcluster.operator.model.RedisModel;
import dev.imcluster.operator.model.Role;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.javaoperatorsdk.operator.api.reconciler.Context;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Refuses to take over objects that someone else owns. Dependents are applied with server-side apply and forced
 * conflicts, so an existing Deployment, Service or Secret that happens to carry a derived name (another app's
 * {@code payments-job} when a cluster is called {@code payments}) would be overwritten: whoever may create a
 * PubSubCluster could rewrite objects they may not touch. Each object the workflow is about to create is checked:
 * one that exists without this cluster as its controller makes the spec invalid instead.
 *
 * <p>Objects already in the informers' caches as this cluster's secondaries cost nothing; only missing ones are read
 * from the API server, so a settled cluster makes no extra requests.
 */
final class OwnershipGuard {
    private OwnershipGuard() {
    }

    record Target(Class<? extends HasMetadata> type, String name) {
    }

    static List<String> problems(PubSubCluster c, Context<PubSubCluster> context, ApiCapabilities caps) {
        List<String> problems = new ArrayList<>();
        String ns = c.getMetadata().getNamespace();
        String uid = c.getMetadata().getUid();
        for (Target t : targets(c, caps)) {
            if (cachedNames(context, t.type()).contains(t.name())) {
                continue;
            }
            HasMetadata live = context.getClient().resources(t.type()).inNamespace(ns).withName(t.name()).get();
            if (live != null && !controlledBy(live, uid)) {
                problems.add(live.getKind() + " '" + t.name() + "' already exists and is not owned by this "
                        + "PubSubCluster; the operator does not take over other objects: rename the cluster or remove "
                        + "that " + live.getKind());
            }
        }
        return problems;
    }

    /** What the workflow creates for this spec (not the ServiceMonitor: it is named like the cluster itself). */
    static List<Target> targets(PubSubCluster c, ApiCapabilities caps) {
        List<Target> t = new ArrayList<>();
        t.add(new Target(ConfigMap.class, Names.config(c)));
        t.add(new Target(ServiceAccount.class, Names.serviceAccount(c)));
        for (Role role : Role.values()) {
            t.add(new Target(Deployment.class, Names.role(c, role)));
        }
        t.add(new Target(Service.class, Names.role(c, Role.COMET)));
        t.add(new Target(Service.class, Names.cometHeadless(c)));
        t.add(new Target(Service.class, Names.role(c, Role.LOGIC)));
        t.add(new Target(Service.class, Names.metrics(c)));
        for (Role role : Role.values()) {
            t.add(new Target(caps.policyV1() ? io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class
                    : io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget.class, Names.role(c, role)));
        }
        if (RedisModel.managed(c)) {
            t.add(new Target(StatefulSet.class, Names.redis(c)));
            t.add(new Target(Service.class, Names.redis(c)));
            t.add(new Target(Secret.class, Names.redisPassword(c)));
        }
        if (NatsModel.runs(c)) {
            t.add(new Target(StatefulSet.class, Names.nats(c)));
            t.add(new Target(Service.class, Names.nats(c)));
        }
        if (MqttModel.runs(c)) {
            t.add(new Target(StatefulSet.class, Names.mqtt(c)));
            t.add(new Target(Service.class, Names.mqtt(c)));
        }
        if (c.getSpec().networkPolicy != null && c.getSpec().networkPolicy.isEnabled()) {
            NetworkPolicyModel.desired(c).values()
                    .forEach(np -> t.add(new Target(NetworkPolicy.class, np.getMetadata().getName())));
        }
        return t;
    }

    private static boolean controlledBy(HasMetadata o, String uid) {
        List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
        return refs != null && refs.stream().anyMatch(r -> Boolean.TRUE.equals(r.getController())
                && r.getUid() != null && r.getUid().equals(uid));
    }

    /** Names of this cluster's secondaries of a type in the caches; none when no single event source has the type. */
    private static Set<String> cachedNames(Context<PubSubCluster> context, Class<? extends HasMetadata> type) {
        try {
            return context.getSecondaryResources(type).stream().map(o -> o.getMetadata().getName())
                    .collect(Collectors.toSet());
        } catch (RuntimeException ambiguousOrMissing) {
            return Set.of();
        }
    }
}
