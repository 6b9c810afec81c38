package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PodTemplateOverrides;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterSpec;

import java.util.List;
import java.util.Set;

import static dev.imcluster.operator.model.SpecValidation.shorten;

/** The pod templates of the roles and of the managed Redis and NATS: placement, metadata, and the pod knobs. */
final class PodTemplateValidation {
    private PodTemplateValidation() {
    }

    /**
     * A pod template's overrides: placement and metadata as the API server checks them, and the pod-level knobs
     * against what the operator's own pod needs (its volumes, mount paths, container name and env).
     */
    static void podTemplate(String at0, PodTemplateOverrides t, String main, Set<String> reservedVolumes,
                            List<String> reservedPaths, boolean broker, List<String> p) {
        String at = at0.substring(0, at0.length() - ".podTemplate".length());
        if (t.labels != null) {
            MetadataValidation.labels(at + ".podTemplate.labels", t.labels, p);
        }
        if (t.nodeSelector != null) {
            MetadataValidation.labels(at + ".podTemplate.nodeSelector", t.nodeSelector, p);
        }
        if (t.annotations != null) {
            MetadataValidation.annotations(at + ".podTemplate.annotations", t.annotations, p);
        }
        if (t.priorityClassName != null && !KubeSyntax.isDnsSubdomain(t.priorityClassName)) {
            p.add(at + ".podTemplate.priorityClassName '" + shorten(t.priorityClassName)
                    + "' is not a valid object name (a DNS-1123 subdomain)");
        }
        if (t.tolerations != null) {
            for (int i = 0; i < t.tolerations.size(); i++) {
                PlacementRules.toleration(at + ".podTemplate.tolerations[" + i + "]", t.tolerations.get(i), p);
            }
        }
        if (t.topologySpreadConstraints != null) {
            for (int i = 0; i < t.topologySpreadConstraints.size(); i++) {
                PlacementRules.spread(at + ".podTemplate.topologySpreadConstraints[" + i + "]",
                        t.topologySpreadConstraints.get(i), p);
            }
        }
        if (t.affinity != null) {
            PlacementRules.affinity(at + ".podTemplate.affinity", t.affinity, p);
        }
        PodKnobValidation.knobs(at0, t, main, reservedVolumes, reservedPaths, broker, p);
    }

    /** The managed Redis, NATS and Mosquitto pod templates. */
    static void backendPods(PubSubClusterSpec s, List<String> p) {
        if (s.redis != null && s.redis.managed != null && s.redis.managed.podTemplate != null) {
            podTemplate("spec.redis.managed.podTemplate", s.redis.managed.podTemplate, "redis",
                    PodOverrides.REDIS_VOLUMES, PodOverrides.REDIS_PATHS, false, p);
        }
        if (s.mq != null && s.mq.nats != null && s.mq.nats.podTemplate != null) {
            if (!s.mq.nats.isManaged()) {
                p.add("spec.mq.nats.podTemplate is only for a managed NATS: set spec.mq.nats.managed: true or remove "
                        + "podTemplate");
            } else {
                podTemplate("spec.mq.nats.podTemplate", s.mq.nats.podTemplate, "nats", PodOverrides.NATS_VOLUMES,
                        PodOverrides.NATS_PATHS, false, p);
            }
        }
        if (s.mq != null && s.mq.mqtt != null && s.mq.mqtt.podTemplate != null) {
            if (!s.mq.mqtt.isManaged()) {
                p.add("spec.mq.mqtt.podTemplate is only for a managed Mosquitto: set spec.mq.mqtt.managed: true or "
                        + "remove podTemplate");
            } else {
                podTemplate("spec.mq.mqtt.podTemplate", s.mq.mqtt.podTemplate, "mosquitto", PodOverrides.MQTT_VOLUMES,
                        PodOverrides.MQTT_PATHS, false, p);
            }
        }
    }
}
