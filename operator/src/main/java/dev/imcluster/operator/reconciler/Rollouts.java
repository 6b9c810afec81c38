package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus.RoleStatus;
import dev.imcluster.operator.model.BrokerConfigRenderer;
import io.fabric8.kubernetes.api.model.apps.Deployment;

/** What a live Deployment says about its rollout: read by the status and by the backend swap's phases. */
final class Rollouts {
    private Rollouts() {
    }

    /** Desired replicas (1 when unset) and ready ones; zero and zero for a Deployment not seen yet. */
    static RoleStatus roleStatus(Deployment d) {
        if (d == null) {
            return new RoleStatus(0, 0);
        }
        int desired = d.getSpec() == null || d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
        int ready = d.getStatus() == null || d.getStatus().getReadyReplicas() == null
                ? 0 : d.getStatus().getReadyReplicas();
        return new RoleStatus(desired, ready);
    }

    /**
     * The Deployment controller has seen the latest spec, every desired pod is updated and ready, and no pod of an
     * older template is left ({@code kubectl rollout status}'s test). Without that last part a surge pod not ready
     * yet and the old pod it replaces, still ready, count as "1 updated, 1 ready of 1".
     */
    static boolean rolledOut(Deployment d) {
        if (d == null || d.getStatus() == null) {
            return false;
        }
        int desired = roleStatus(d).replicas;
        var st = d.getStatus();
        int updated = st.getUpdatedReplicas() == null ? 0 : st.getUpdatedReplicas();
        int ready = st.getReadyReplicas() == null ? 0 : st.getReadyReplicas();
        int total = st.getReplicas() == null ? 0 : st.getReplicas();
        return observedLatest(d) && updated >= desired && ready >= desired && total <= updated;
    }

    /** ", 1 old pod left" while pods of an older template remain beside the updated ones; "" otherwise. */
    static String oldPodsLeft(Deployment d) {
        if (d.getStatus() == null) {
            return "";
        }
        int updated = d.getStatus().getUpdatedReplicas() == null ? 0 : d.getStatus().getUpdatedReplicas();
        int total = d.getStatus().getReplicas() == null ? 0 : d.getStatus().getReplicas();
        int old = total - updated;
        return old <= 0 ? "" : ", " + old + " old pod" + (old == 1 ? "" : "s") + " left";
    }

    /** The Deployment controller has seen the Deployment's latest generation (status non-null). */
    private static boolean observedLatest(Deployment d) {
        long gen = d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
        Long observed = d.getStatus().getObservedGeneration();
        return observed != null && observed >= gen;
    }

    /**
     * Every pod runs the latest template and the Deployment controller completed that rollout
     * ({@code NewReplicaSetAvailable}), yet some pods are not ready now: they turned unready (a failing readiness
     * probe, as a comet cut from logic has) or are being replaced. Not a rollout: nothing is progressing.
     */
    static boolean unreadyAfterRollout(Deployment d) {
        if (d == null || d.getStatus() == null || d.getStatus().getConditions() == null || rolledOut(d)) {
            return false;
        }
        var st = d.getStatus();
        int desired = roleStatus(d).replicas;
        int updated = st.getUpdatedReplicas() == null ? 0 : st.getUpdatedReplicas();
        int total = st.getReplicas() == null ? 0 : st.getReplicas();
        boolean completed = st.getConditions().stream().anyMatch(c -> "Progressing".equals(c.getType())
                && "True".equals(c.getStatus()) && "NewReplicaSetAvailable".equals(c.getReason()));
        return observedLatest(d) && completed && updated >= desired && total <= desired;
    }

    /** The Deployment runs the template with this config hash: observed, every pod updated and ready, no old pod. */
    static boolean rolledOutWith(Deployment d, String hash) {
        return carries(d, hash) && rolledOut(d);
    }

    /**
     * Every pod runs the template with this config hash and none was ever rolled to another one: the template
     * carries that hash and every pod is of that template (observed, all updated), ready or not.
     */
    static boolean onlyEverRan(Deployment d, String hash) {
        if (!carries(d, hash) || d.getStatus() == null) {
            return false;
        }
        var st = d.getStatus();
        boolean observed = d.getMetadata() != null && d.getMetadata().getGeneration() != null
                && d.getMetadata().getGeneration().equals(st.getObservedGeneration());
        int total = st.getReplicas() == null ? 0 : st.getReplicas();
        int updated = st.getUpdatedReplicas() == null ? 0 : st.getUpdatedReplicas();
        return observed && updated >= total;
    }

    /** "2 updated, 1 ready of 3", for the messages that say what a phase waits for. */
    static String progress(Deployment d) {
        if (d == null || d.getStatus() == null) {
            return "not observed yet";
        }
        var st = d.getStatus();
        return (st.getUpdatedReplicas() == null ? 0 : st.getUpdatedReplicas()) + " updated, "
                + (st.getReadyReplicas() == null ? 0 : st.getReadyReplicas()) + " ready of " + roleStatus(d).replicas;
    }

    private static boolean carries(Deployment d, String hash) {
        return d != null && d.getSpec() != null && d.getSpec().getTemplate() != null
                && d.getSpec().getTemplate().getMetadata() != null
                && d.getSpec().getTemplate().getMetadata().getAnnotations() != null
                && hash.equals(d.getSpec().getTemplate().getMetadata().getAnnotations()
                .get(BrokerConfigRenderer.CONFIG_HASH_ANNOTATION));
    }
}
