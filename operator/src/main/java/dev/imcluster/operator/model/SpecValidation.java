package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.AuthSpec;
import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterSpec;
import dev.imcluster.operator.api.v1alpha1.RoleSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * The spec checks CEL does on current API servers, repeated here because API servers before 1.25 (1.20 included)
 * do not enforce CEL rules, and the checks no schema can express: that every value passed into an owned object
 * (names, labels, annotations, quantities, tolerations) is one the API server accepts there, so that an invalid spec
 * is refused before anything is applied instead of failing halfway. Pure: the reconciler adds the checks that need
 * the cluster (Secrets). Each area of the spec has its own class; this one runs them in a fixed order, so the
 * problems are listed the same way every time.
 */
public final class SpecValidation {
    private SpecValidation() {
    }

    /** Problems, each naming its field; empty when the spec is valid. */
    public static List<String> problems(PubSubCluster c) {
        List<String> p = new ArrayList<>();
        PubSubClusterSpec s = c.getSpec();
        if (s == null) {
            p.add("spec is missing");
            return p;
        }
        name(c.getMetadata().getName(), p);
        role("comet", s.comet, p);
        role("logic", s.logic, p);
        role("job", s.job, p);
        if (s.comet != null && s.comet.service != null && s.comet.service.annotations != null) {
            MetadataValidation.annotations("spec.comet.service.annotations", s.comet.service.annotations, p);
        }
        MqSpec mq = s.mq;
        BackendValidation.settings(c, p);
        AuthSpec auth = s.auth;
        SecurityValidation.jwtKeySource(auth, p);
        SecurityValidation.tls(s.tls, p);
        BackendValidation.addresses(s, p);
        BackendValidation.natsStorage(mq, p);
        SecurityValidation.jwtClaims(auth, p);
        if (s.delivery != null) {
            DeliveryValidation.delivery(s.delivery, p);
        }
        PodTemplateValidation.backendPods(s, p);
        ServiceValidation.serviceAndAccount(s, p);
        LimitValidation.limits(s, p);
        ConfigValidation.keys(s, p);
        if (p.isEmpty()) { // the broker's loader runs on the rendered config: only once the typed fields are sound
            ConfigValidation.broker(c, p);
        }
        return p;
    }

    private static void name(String name, List<String> p) {
        if (name == null) {
            p.add("metadata.name is missing");
        } else if (name.length() > Names.MAX_CLUSTER_NAME) {
            p.add("metadata.name '" + name + "' has " + name.length() + " characters; at most " + Names.MAX_CLUSTER_NAME
                    + " fit: derived names such as '" + name + "-comet-headless' must be 63-character DNS labels "
                    + "(StatefulSet names 52)");
        } else if (!KubeSyntax.isDns1035Label(name)) {
            p.add("metadata.name '" + name + "' cannot name the cluster's Services: use lowercase letters, digits "
                    + "and '-', starting with a letter (a DNS-1035 label)");
        }
    }

    private static void role(String id, RoleSpec r, List<String> p) {
        if (r == null) {
            return;
        }
        String at = "spec." + id;
        if (r.resources != null) {
            ResourceValidation.resources(at + ".resources", r.resources, p);
        }
        if (r.podTemplate != null) {
            PodTemplateValidation.podTemplate(at + ".podTemplate", r.podTemplate, DeploymentModel.CONTAINER,
                    PodOverrides.BROKER_VOLUMES, PodOverrides.BROKER_PATHS, true, p);
        }
    }

    /** User values quoted in messages are cut short: a condition message must stay readable (and small). */
    static String shorten(String s) {
        return s == null || s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
