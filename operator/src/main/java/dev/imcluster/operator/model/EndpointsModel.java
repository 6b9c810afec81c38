package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import io.fabric8.kubernetes.api.model.Service;

/** The in-cluster addresses clients and services use, for status.endpoints. */
public final class EndpointsModel {
    private EndpointsModel() {
    }

    public static PubSubClusterStatus.Endpoints of(PubSubCluster c) {
        return of(c, null);
    }

    /**
     * @param cometExternalHost the comet Service's load-balancer ingress (IP or host name) once it has one; clients
     *                          outside the cluster use it. Null for the in-cluster name.
     */
    public static PubSubClusterStatus.Endpoints of(PubSubCluster c, String cometExternalHost) {
        String comet = cometExternalHost != null ? cometExternalHost : Names.serviceDns(c, Names.role(c, Role.COMET));
        String logic = Names.serviceDns(c, Names.role(c, Role.LOGIC));
        PubSubClusterStatus.Endpoints e = new PubSubClusterStatus.Endpoints();
        e.tcp = comet + ":" + Ports.COMET_TCP;
        e.websocket = "ws://" + comet + ":" + Ports.COMET_WS + "/sub";
        e.grpc = comet + ":" + Ports.COMET_PUBSUB_GRPC;
        e.push = "http://" + logic + ":" + Ports.LOGIC_HTTP;
        return e;
    }

    /** The first load-balancer ingress of a Service, or null. */
    public static String loadBalancerHost(Service s) {
        if (s == null || s.getStatus() == null || s.getStatus().getLoadBalancer() == null
                || s.getStatus().getLoadBalancer().getIngress() == null) {
            return null;
        }
        return s.getStatus().getLoadBalancer().getIngress().stream()
                .map(i -> i.getHostname() != null ? i.getHostname() : i.getIp())
                .filter(h -> h != null && !h.isBlank()).findFirst().orElse(null);
    }

    /** status.clientAuth. */
    public static String clientAuth(PubSubCluster c) {
        var auth = c.getSpec().auth;
        if (auth == null || auth.jwt == null) {
            return "unauthenticated";
        }
        return auth.jwt.jwksUrl != null ? "jwt-jwks" : auth.jwt.secretRef != null ? "jwt-hs256" : "jwt-rs256";
    }
}
