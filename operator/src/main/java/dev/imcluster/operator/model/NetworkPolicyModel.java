package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Opt-in ingress policies, one per component: clients reach comet's client ports only; only comet reaches logic's
 * gRPC (Connect, Heartbeat, Publish); only job reaches comet's internal gRPC; only logic and job reach the managed
 * Redis and NATS; logic's HTTP push API accepts spec.networkPolicy.pushFrom (default: the cluster's namespace). The
 * admin port (metrics, probes) is open on every broker pod for scrapers. Egress is not restricted.
 */
public final class NetworkPolicyModel {
    private NetworkPolicyModel() {
    }

    public static Map<String, NetworkPolicy> desired(PubSubCluster c) {
        return desired(c, SwapState.of(c.getStatus()));
    }

    /** The policies for the swap state being rendered (null: none): NATS and Mosquitto keep theirs while they take part. */
    public static Map<String, NetworkPolicy> desired(PubSubCluster c, SwapState swap) {
        Map<String, NetworkPolicy> m = new LinkedHashMap<>();
        NetworkPolicyPeer comet = peer(Labels.selector(c, "comet"));
        NetworkPolicyPeer job = peer(Labels.selector(c, "job"));
        NetworkPolicyPeer logic = peer(Labels.selector(c, "logic"));
        m.put("comet", policy(c, "comet", List.of(
                MqttModel.cometListener(c) ? open(Ports.COMET_TCP, Ports.COMET_WS, Ports.COMET_PUBSUB_GRPC, Ports.MQTT, Ports.ADMIN)
                        : open(Ports.COMET_TCP, Ports.COMET_WS, Ports.COMET_PUBSUB_GRPC, Ports.ADMIN),
                from(List.of(job), Ports.COMET_GRPC))));
        m.put("logic", policy(c, "logic", List.of(
                from(List.of(comet), Ports.LOGIC_GRPC),
                from(pushFrom(c), Ports.LOGIC_HTTP),
                open(Ports.ADMIN))));
        m.put("job", policy(c, "job", List.of(open(Ports.ADMIN))));
        if (RedisModel.managed(c)) {
            m.put("redis", policy(c, "redis", List.of(from(List.of(logic, job), Ports.REDIS))));
        }
        if (NatsModel.runs(c, swap)) {
            List<NetworkPolicyIngressRule> rules = new ArrayList<>(List.of(
                    from(List.of(logic, job), Ports.NATS, Ports.NATS_MONITOR)));
            if (NatsModel.replicas(c) > 1) { // routes between the servers
                rules.add(from(List.of(peer(Labels.selector(c, "nats"))), Ports.NATS_CLUSTER));
            }
            m.put("nats", policy(c, "nats", rules));
        }
        if (MqttModel.runs(c, swap)) {
            m.put("mqtt", policy(c, "mqtt", List.of(from(List.of(logic, job), Ports.MQTT))));
        }
        return m;
    }

    /** spec.networkPolicy.pushFrom, or every pod of the namespace (an empty pod selector without namespaces). */
    static List<NetworkPolicyPeer> pushFrom(PubSubCluster c) {
        List<NetworkPolicyPeer> peers = c.getSpec().networkPolicy == null ? null : c.getSpec().networkPolicy.pushFrom;
        if (peers == null || peers.isEmpty()) {
            return List.of(new NetworkPolicyPeerBuilder().withNewPodSelector().endPodSelector().build());
        }
        return peers;
    }

    private static NetworkPolicy policy(PubSubCluster c, String component, List<NetworkPolicyIngressRule> rules) {
        return new NetworkPolicyBuilder()
                .withNewMetadata()
                    .withName(c.getMetadata().getName() + "-" + component)
                    .withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Labels.all(c, component))
                .endMetadata()
                .withNewSpec()
                    .withPodSelector(selector(Labels.selector(c, component)))
                    .withPolicyTypes("Ingress")
                    .withIngress(rules)
                .endSpec()
                .build();
    }

    private static NetworkPolicyIngressRule open(int... ports) {
        return new NetworkPolicyIngressRuleBuilder().withPorts(ports(ports)).build();
    }

    private static NetworkPolicyIngressRule from(List<NetworkPolicyPeer> peers, int... ports) {
        return new NetworkPolicyIngressRuleBuilder().withFrom(peers).withPorts(ports(ports)).build();
    }

    private static List<NetworkPolicyPort> ports(int... ports) {
        List<NetworkPolicyPort> l = new ArrayList<>();
        for (int p : ports) {
            l.add(new NetworkPolicyPortBuilder().withProtocol("TCP").withPort(new IntOrString(p)).build());
        }
        return l;
    }

    private static NetworkPolicyPeer peer(Map<String, String> labels) {
        return new NetworkPolicyPeerBuilder().withPodSelector(selector(labels)).build();
    }

    private static LabelSelector selector(Map<String, String> labels) {
        return new LabelSelectorBuilder().withMatchLabels(labels).build();
    }
}
