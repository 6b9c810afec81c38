package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.CometSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterSpec;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;

import java.util.List;
import java.util.Map;

/** The Services. Every port says protocol TCP: server-side apply on 1.20 needs it (it is part of the port's key). */
public final class ServiceModel {
    private ServiceModel() {
    }

    /** Client-facing comet: goim TCP, WebSocket, the client gRPC API, and MQTT when enabled. */
    public static Service cometExternal(PubSubCluster c) {
        PubSubClusterSpec spec = c.getSpec();
        Map<String, String> annotations = spec.comet != null && spec.comet.service != null
                ? spec.comet.service.annotations : null;
        List<ServicePort> ports = new java.util.ArrayList<>(List.of(port("tcp", Ports.COMET_TCP),
                port("websocket", Ports.COMET_WS), port("grpc", Ports.COMET_PUBSUB_GRPC)));
        if (MqttModel.cometListener(c)) {
            ports.add(port("mqtt", Ports.MQTT));
        }
        Service s = service(c, Names.role(c, Role.COMET), "comet", Labels.selector(c, "comet"), annotations,
                cometServiceType(spec).name(), false, ports);
        CometSpec.ServiceSpec ss = spec.comet == null ? null : spec.comet.service;
        if (ss != null) {
            s.getSpec().setExternalTrafficPolicy(ss.externalTrafficPolicy == null ? null
                    : ss.externalTrafficPolicy.name());
            s.getSpec().setLoadBalancerClass(ss.loadBalancerClass);
            s.getSpec().setLoadBalancerSourceRanges(ss.loadBalancerSourceRanges == null
                    || ss.loadBalancerSourceRanges.isEmpty() ? null : List.copyOf(ss.loadBalancerSourceRanges));
        }
        return s;
    }

    /**
     * Headless comet Service: job resolves its A records to reach every running comet's internal gRPC. Unready
     * comets are published too: readiness means "accepts new clients" (it drops while logic is unreachable), and
     * a comet that already holds clients must keep receiving their messages.
     */
    public static Service cometHeadless(PubSubCluster c) {
        List<ServicePort> ports = new java.util.ArrayList<>(List.of(port("internal-grpc", Ports.COMET_GRPC),
                port("tcp", Ports.COMET_TCP), port("websocket", Ports.COMET_WS), port("grpc", Ports.COMET_PUBSUB_GRPC)));
        if (MqttModel.cometListener(c)) {
            ports.add(port("mqtt", Ports.MQTT));
        }
        Service headless = service(c, Names.cometHeadless(c), "comet", Labels.selector(c, "comet"), null,
                "ClusterIP", true, ports);
        headless.getSpec().setPublishNotReadyAddresses(true);
        return headless;
    }

    /** logic: goim's HTTP push API and gRPC (comets, and PubSubService.Publish). */
    public static Service logic(PubSubCluster c) {
        return service(c, Names.role(c, Role.LOGIC), "logic", Labels.selector(c, "logic"), null, "ClusterIP", false,
                List.of(port("http", Ports.LOGIC_HTTP), port("grpc", Ports.LOGIC_GRPC)));
    }

    /** Headless Service over every broker pod's admin port, for Prometheus (ServiceMonitor or endpoints SD). */
    public static Service metrics(PubSubCluster c) {
        return service(c, Names.metrics(c), "metrics", Labels.cluster(c), null, "ClusterIP", true,
                List.of(port("admin", Ports.ADMIN)));
    }

    public static Service redis(PubSubCluster c) {
        return service(c, Names.redis(c), "redis", Labels.selector(c, "redis"), null, "ClusterIP", false,
                List.of(port("redis", Ports.REDIS)));
    }

    public static Service nats(PubSubCluster c) {
        return service(c, Names.nats(c), "nats", Labels.selector(c, "nats"), null, "ClusterIP", false,
                List.of(port("client", Ports.NATS), port("monitor", Ports.NATS_MONITOR)));
    }

    /**
     * The managed NATS servers' routes: headless, with not-ready servers published, since a server must find the
     * others before JetStream (and so its readiness) can work as a cluster.
     */
    public static Service natsCluster(PubSubCluster c) {
        Service s = service(c, Names.natsCluster(c), "nats", Labels.selector(c, "nats"), null, "ClusterIP", true,
                List.of(port("cluster", Ports.NATS_CLUSTER)));
        s.getSpec().setPublishNotReadyAddresses(true);
        return s;
    }

    public static Service mqtt(PubSubCluster c) {
        return service(c, Names.mqtt(c), "mqtt", Labels.selector(c, "mqtt"), null, "ClusterIP", false,
                List.of(port("mqtt", Ports.MQTT)));
    }

    public static CometSpec.ServiceType cometServiceType(PubSubClusterSpec spec) {
        return spec.comet == null || spec.comet.service == null || spec.comet.service.type == null
                ? CometSpec.ServiceType.ClusterIP : spec.comet.service.type;
    }

    private static Service service(PubSubCluster c, String name, String component, Map<String, String> selector,
                                   Map<String, String> annotations, String type, boolean headless,
                                   List<ServicePort> ports) {
        return new ServiceBuilder()
                .withNewMetadata()
                    .withName(name)
                    .withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Labels.all(c, component))
                    .addToAnnotations(annotations == null ? Map.of() : annotations)
                .endMetadata()
                .withNewSpec()
                    .withType(type)
                    .withClusterIP(headless ? "None" : null)
                    .withSelector(selector)
                    .withPorts(ports)
                .endSpec()
                .build();
    }

    private static ServicePort port(String name, int port) {
        return new ServicePortBuilder().withName(name).withPort(port).withTargetPort(new IntOrString(name))
                .withProtocol("TCP").build();
    }
}
