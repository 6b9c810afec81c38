package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.CometSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterSpec;

import java.util.List;

import static dev.imcluster.operator.model.SpecValidation.shorten;

/** The comet Service's settings and the ServiceAccount the spec names or annotates. */
final class ServiceValidation {
    private ServiceValidation() {
    }

    /** spec.comet.service's CEL rules and what no schema says about its values; spec.serviceAccount. */
    static void serviceAndAccount(PubSubClusterSpec s, List<String> p) {
        CometSpec.ServiceSpec ss = s.comet == null ? null : s.comet.service;
        if (ss != null) {
            CometSpec.ServiceType type = ss.type == null ? CometSpec.ServiceType.ClusterIP : ss.type;
            if ((ss.loadBalancerClass != null || ss.loadBalancerSourceRanges != null)
                    && type != CometSpec.ServiceType.LoadBalancer) {
                p.add("spec." + CometSpec.LOAD_BALANCER_ONLY + " (type is " + type + ")");
            }
            if (ss.externalTrafficPolicy != null && type == CometSpec.ServiceType.ClusterIP) {
                p.add("spec." + CometSpec.TRAFFIC_POLICY_EXTERNAL + " (type is ClusterIP)");
            }
            if (ss.loadBalancerSourceRanges != null) {
                for (int i = 0; i < ss.loadBalancerSourceRanges.size(); i++) {
                    String cidr = ss.loadBalancerSourceRanges.get(i);
                    if (!KubeSyntax.isCidr(cidr)) {
                        p.add("spec.comet.service.loadBalancerSourceRanges[" + i + "] '" + shorten(cidr)
                                + "' is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32");
                    }
                }
            }
            if (ss.loadBalancerClass != null && !KubeSyntax.isQualifiedName(ss.loadBalancerClass)) {
                p.add("spec.comet.service.loadBalancerClass '" + shorten(ss.loadBalancerClass)
                        + "' is not a label-style name (such as example.com/lb)");
            }
        }
        var sa = s.serviceAccount;
        if (sa != null) {
            if (sa.name != null && sa.annotations != null) {
                p.add("spec." + PubSubClusterSpec.SERVICE_ACCOUNT_EXCLUSIVE);
            }
            if (sa.name != null && !KubeSyntax.isDnsSubdomain(sa.name)) {
                p.add("spec.serviceAccount.name '" + shorten(sa.name) + "' is not a valid object name");
            }
            if (sa.annotations != null) {
                MetadataValidation.annotations("spec.serviceAccount.annotations", sa.annotations, p);
            }
        }
    }
}
