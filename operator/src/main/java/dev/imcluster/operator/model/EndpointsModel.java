package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;

/** The in-cluster addresses clients and services use, for status.endpoints. */
public final class EndpointsModel {
    private EndpointsModel() {
    }

    public static PubSubClusterStatus.Endpoints of(PubSubCluster c) {
        String comet = Names.serviceDns(c, Names.role(c, Role.COMET));
        String logic = Names.serviceDns(c, Names.role(c, Role.LOGIC));
        PubSubClusterStatus.Endpoints e = new PubSubClusterStatus.Endpoints();
        e.tcp = comet + ":" + Ports.COMET_TCP;
        e.websocket = "ws://" + comet + ":" + Ports.COMET_WS + "/sub";
        e.grpc = comet + ":" + Ports.COMET_PUBSUB_GRPC;
        e.push = "http://" + logic + ":" + Ports.LOGIC_HTTP;
        return e;
    }

    /** status.clientAuth. */
    public static String clientAuth(PubSubCluster c) {
        var auth = c.getSpec().auth;
        if (auth == null || auth.jwt == null) {
            return "unauthenticated";
        }
        return auth.jwt.secretRef != null ? "jwt-hs256" : "jwt-rs256";
    }
}
