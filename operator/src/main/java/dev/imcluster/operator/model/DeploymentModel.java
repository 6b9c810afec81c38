package dev.imcluster.operator.model;

import dev.imcluster.broker.config.ConfigLoader;
import dev.imcluster.operator.api.v1alpha1.MetricsSpec;
import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PodTemplateOverrides;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterSpec;
import dev.imcluster.operator.api.v1alpha1.RoleSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The Deployment of one role: hardened pod, probes on the admin port, config hash, user overrides. */
public final class DeploymentModel {

    public static final String CONTAINER = "broker";
    public static final String REDIS_PASSWORD_ENV = "IMCLUSTER_REDIS_PASSWORD";
    public static final String SENTINEL_PASSWORD_ENV = "IMCLUSTER_REDIS_SENTINEL_PASSWORD";
    public static final String KAFKA_USERNAME_ENV = "IMCLUSTER__MQ__KAFKA__SASLUSERNAME";
    public static final String MQTT_USERNAME_ENV = "IMCLUSTER__MQ__MQTT__USERNAME";
    public static final String SERVER_ID_ENV = "IMCLUSTER__SERVERID";
    static final long UID = 10001;

    private DeploymentModel() {
    }

    /** The role's Deployment for the backend swap recorded in the cluster's status, if any. */
    public static Deployment desired(PubSubCluster c, Role role, BrokerConfigRenderer.Rendered config,
                                     OperatorConfig op, ApiCapabilities caps, Integer currentReplicas) {
        return desired(c, role, config, SwapState.of(c.getStatus()), op, caps, currentReplicas);
    }

    /**
     * @param config          the broker config rendered for {@code swap}
     * @param swap            the backend swap state being applied (null: none); a swap from or to Kafka mounts its
     *                        credentials
     * @param currentReplicas the live Deployment's replicas, kept when the role is externally scaled; may be null
     */
    public static Deployment desired(PubSubCluster c, Role role, BrokerConfigRenderer.Rendered config,
                                     SwapState swap, OperatorConfig op, ApiCapabilities caps,
                                     Integer currentReplicas) {
        PubSubClusterSpec spec = c.getSpec();
        RoleSpec roleSpec = roleSpec(spec, role);
        int replicas = roleSpec.isExternallyScaled() && currentReplicas != null
                ? currentReplicas : roleSpec.desiredReplicas();
        PodTemplateOverrides o = roleSpec.podTemplate == null ? new PodTemplateOverrides() : roleSpec.podTemplate;

        Map<String, String> podLabels = new LinkedHashMap<>();
        if (o.labels != null) {
            podLabels.putAll(o.labels);
        }
        podLabels.putAll(Labels.all(c, role.id()));
        Map<String, String> podAnnotations = new LinkedHashMap<>();
        if (o.annotations != null) {
            podAnnotations.putAll(o.annotations);
        }
        if (!serviceMonitorWillScrape(spec, caps)) {
            podAnnotations.put("prometheus.io/scrape", "true");
            podAnnotations.put("prometheus.io/port", String.valueOf(Ports.ADMIN));
            podAnnotations.put("prometheus.io/path", "/metrics");
        }
        podAnnotations.put(BrokerConfigRenderer.CONFIG_HASH_ANNOTATION, config.hash(role));

        PodSpec pod = new PodSpecBuilder()
                .withServiceAccountName(ServiceAccountModel.podServiceAccount(c))
                .withAutomountServiceAccountToken(false) // DNS discovery: the broker never calls the API server
                .withSecurityContext(PodSecurity.podSecurityContext())
                .withTerminationGracePeriodSeconds(role == Role.COMET ? 60L : 30L)
                .withContainers(container(c, role, op, config, swap))
                .withVolumes(volumes(c, role, config, swap))
                .withAffinity(o.affinity)
                .withTolerations(o.tolerations)
                .withNodeSelector(o.nodeSelector)
                .withTopologySpreadConstraints(o.topologySpreadConstraints)
                .withPriorityClassName(o.priorityClassName)
                // job resolves a key push's server id (the pod name) as <pod>.<headless service>: that record
                // exists only for pods whose subdomain names the headless Service.
                .withSubdomain(role == Role.COMET ? Names.cometHeadless(c) : null)
                .build();
        PodOverrides.apply(roleSpec.podTemplate, pod, CONTAINER);

        return new DeploymentBuilder()
                .withNewMetadata()
                    .withName(Names.role(c, role))
                    .withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Labels.all(c, role.id()))
                .endMetadata()
                .withNewSpec()
                    .withReplicas(replicas)
                    .withRevisionHistoryLimit(5)
                    .withNewSelector().withMatchLabels(Labels.selector(c, role.id())).endSelector()
                    .withNewStrategy()
                        .withType("RollingUpdate")
                        .withNewRollingUpdate()
                            .withMaxUnavailable(new IntOrString(0))
                            .withMaxSurge(new IntOrString(1))
                        .endRollingUpdate()
                    .endStrategy()
                    .withNewTemplate()
                        .withNewMetadata().withLabels(podLabels).withAnnotations(podAnnotations).endMetadata()
                        .withSpec(pod)
                    .endTemplate()
                .endSpec()
                .build();
    }

    public static RoleSpec roleSpec(PubSubClusterSpec spec, Role role) {
        return switch (role) {
            case COMET -> spec.comet;
            case LOGIC -> spec.logic;
            case JOB -> spec.job;
        };
    }

    /** True when a ServiceMonitor (not pod annotations) tells Prometheus about the pods. */
    public static boolean serviceMonitorWillScrape(PubSubClusterSpec spec, ApiCapabilities caps) {
        MetricsSpec.ServiceMonitorMode mode = spec.metrics == null || spec.metrics.serviceMonitor == null
                ? MetricsSpec.ServiceMonitorMode.auto : spec.metrics.serviceMonitor;
        return switch (mode) {
            case disabled -> false;
            case enabled, auto -> caps.serviceMonitorCrd();
        };
    }

    /** The broker image the cluster wants: spec.image, else the operator's. */
    public static String image(PubSubCluster c, OperatorConfig op) {
        String image = c.getSpec().image;
        return image != null && !image.isBlank() ? image : op.brokerImage();
    }

    private static Container container(PubSubCluster c, Role role, OperatorConfig op,
                                       BrokerConfigRenderer.Rendered config, SwapState swap) {
        PubSubClusterSpec spec = c.getSpec();
        RoleSpec rs = roleSpec(spec, role);
        return new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(image(c, op))
                .withImagePullPolicy(spec.imagePullPolicy == null ? null : spec.imagePullPolicy.name())
                // No command: the image's own entrypoint starts the broker (Jib's classpath launcher, the
                // Dockerfile's jar), so any broker image runs with just the role as its arguments.
                .withArgs(role.id(), "--config", Mounts.CONFIG_FILE)
                .withEnv(env(c, role, config, swap))
                .withPorts(ports(role, MqttModel.cometListener(c)))
                .withResources(rs.resources)
                .withVolumeMounts(mounts(c, role, swap))
                .withReadinessProbe(probe("/readyz", 5, 3))
                .withLivenessProbe(probe("/healthz", 10, 6))
                .withStartupProbe(probe("/healthz", 2, 60))
                .withSecurityContext(PodSecurity.containerSecurityContext())
                .withLifecycle(role == Role.COMET ? CometShutdown.lifecycle() : null)
                .build();
    }

    private static List<EnvVar> env(PubSubCluster c, Role role, BrokerConfigRenderer.Rendered config,
                                    SwapState swap) {
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVarBuilder().withName(SERVER_ID_ENV)
                .withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef().endValueFrom()
                .build());
        env.add(new EnvVarBuilder().withName("POD_IP")
                .withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP").endFieldRef().endValueFrom()
                .build());
        env.add(new EnvVarBuilder().withName(PodOverrides.JVM_OPTIONS_ENV)
                .withValue("-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError").build());
        env.add(new EnvVarBuilder().withName(PodOverrides.LOG_FORMAT_ENV).withValue("json").build());
        if (role != Role.COMET) {
            SecretRefs.redisPassword(c).ifPresent(ref -> env.add(new EnvVarBuilder().withName(REDIS_PASSWORD_ENV)
                    .withNewValueFrom().withNewSecretKeyRef(ref.key(), ref.name(), false).endValueFrom().build()));
            SecretRefs.sentinelPassword(c).ifPresent(ref -> env.add(new EnvVarBuilder()
                    .withName(SENTINEL_PASSWORD_ENV)
                    .withNewValueFrom().withNewSecretKeyRef(ref.key(), ref.name(), false).endValueFrom().build()));
        }
        // comet never uses the queue, but the broker checks the whole file at start, and there the SASL user name
        // and mq.kafka.saslPasswordFile go together.
        SecretRefs.kafkaAuth(c, swap).ifPresent(name -> env.add(new EnvVarBuilder().withName(KAFKA_USERNAME_ENV)
                .withNewValueFrom().withNewSecretKeyRef(MqSpec.KafkaAuth.USERNAME_KEY, name, false).endValueFrom().build()));
        SecretRefs.mqttAuth(c, swap).ifPresent(name -> env.add(new EnvVarBuilder().withName(MQTT_USERNAME_ENV)
                .withNewValueFrom().withNewSecretKeyRef(MqSpec.MqttAuth.USERNAME_KEY, name, false).endValueFrom().build()));
        // A backend swap: job's mq.backend / mq.previous.backend differ from the shared file's.
        config.env(role).forEach((k, v) -> env.add(new EnvVarBuilder().withName(k).withValue(v).build()));
        return env;
    }

    /**
     * The broker's {@code IMCLUSTER__} environment overrides in the role's container, as the broker's loader reads
     * them; a value from a Secret or the pod (the Kafka user name, the server id) stands in as a placeholder.
     */
    static Map<String, String> configEnv(PubSubCluster c, Role role, BrokerConfigRenderer.Rendered config,
                                         SwapState swap) {
        Map<String, String> overrides = new LinkedHashMap<>();
        for (EnvVar e : env(c, role, config, swap)) {
            if (e.getName().startsWith(ConfigLoader.ENV_PREFIX)) {
                overrides.put(e.getName(), e.getValue() != null ? e.getValue() : "from-the-pod");
            }
        }
        return overrides;
    }

    private static List<ContainerPort> ports(Role role, boolean mqtt) {
        List<ContainerPort> p = new ArrayList<>();
        switch (role) {
            case COMET -> {
                p.add(port("tcp", Ports.COMET_TCP));
                p.add(port("websocket", Ports.COMET_WS));
                p.add(port("grpc", Ports.COMET_PUBSUB_GRPC));
                p.add(port("internal-grpc", Ports.COMET_GRPC));
                if (mqtt) {
                    p.add(port("mqtt", Ports.MQTT));
                }
            }
            case LOGIC -> {
                p.add(port("http", Ports.LOGIC_HTTP));
                p.add(port("grpc", Ports.LOGIC_GRPC));
            }
            case JOB -> { }
        }
        p.add(port("admin", Ports.ADMIN));
        return p;
    }

    static ContainerPort port(String name, int port) {
        return new ContainerPortBuilder().withName(name).withContainerPort(port).withProtocol("TCP").build();
    }

    private static Probe probe(String path, int periodSeconds, int failureThreshold) {
        return new ProbeBuilder()
                .withNewHttpGet().withPath(path).withPort(new IntOrString("admin")).withScheme("HTTP").endHttpGet()
                .withPeriodSeconds(periodSeconds)
                .withTimeoutSeconds(2)
                .withFailureThreshold(failureThreshold)
                .build();
    }

    private static List<VolumeMount> mounts(PubSubCluster c, Role role, SwapState swap) {
        List<VolumeMount> m = new ArrayList<>();
        m.add(new VolumeMountBuilder().withName("config").withMountPath(Mounts.CONFIG_DIR).withReadOnly(true).build());
        m.add(new VolumeMountBuilder().withName("tmp").withMountPath(Mounts.TMP_DIR).build());
        m.add(new VolumeMountBuilder().withName("internal-token").withMountPath(Mounts.INTERNAL_TOKEN_DIR)
                .withReadOnly(true).build());
        if (role != Role.JOB && SecretRefs.jwt(c).isPresent()) { // comet checks JWTs on its public gRPC API
            m.add(new VolumeMountBuilder().withName("auth").withMountPath(Mounts.AUTH_DIR).withReadOnly(true).build());
        }
        if (role != Role.COMET && SecretRefs.kafkaAuth(c, swap).isPresent()) {
            m.add(new VolumeMountBuilder().withName("kafka").withMountPath(Mounts.KAFKA_DIR).withReadOnly(true).build());
        }
        if (role != Role.COMET && SecretRefs.mqttAuth(c, swap).isPresent()) {
            m.add(new VolumeMountBuilder().withName("mqtt").withMountPath(Mounts.MQTT_DIR).withReadOnly(true).build());
        }
        if (role == Role.COMET && c.getSpec().tls != null && c.getSpec().tls.hasClientCertificate()) {
            m.add(new VolumeMountBuilder().withName("tls").withMountPath(Mounts.TLS_DIR).withReadOnly(true).build());
        }
        if (c.getSpec().tls != null && c.getSpec().tls.internalEnabled()) {
            m.add(new VolumeMountBuilder().withName("internal-tls").withMountPath(Mounts.INTERNAL_TLS_DIR)
                    .withReadOnly(true).build());
        }
        return m;
    }

    private static List<Volume> volumes(PubSubCluster c, Role role, BrokerConfigRenderer.Rendered config,
                                        SwapState swap) {
        List<Volume> v = new ArrayList<>();
        v.add(new VolumeBuilder().withName("config").withNewConfigMap().withName(Names.config(c))
                .addNewItem().withKey(config.key(role)).withPath(Mounts.CONFIG_KEY).endItem()
                .endConfigMap().build());
        v.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().withSizeLimit(
                new io.fabric8.kubernetes.api.model.Quantity("256Mi")).endEmptyDir().build());
        v.add(secretVolume("internal-token", SecretRefs.internalToken(c).name()));
        if (role != Role.JOB) {
            SecretRefs.jwt(c).ifPresent(ref -> v.add(secretVolume("auth", ref.name())));
        }
        if (role != Role.COMET) {
            SecretRefs.kafkaAuth(c, swap).ifPresent(name -> v.add(secretVolume("kafka", name)));
            SecretRefs.mqttAuth(c, swap).ifPresent(name -> v.add(secretVolume("mqtt", name)));
        }
        if (role == Role.COMET && c.getSpec().tls != null && c.getSpec().tls.hasClientCertificate()) {
            v.add(secretVolume("tls", c.getSpec().tls.secretName));
        }
        if (c.getSpec().tls != null && c.getSpec().tls.internalEnabled()) {
            v.add(secretVolume("internal-tls", Names.internalTls(c, role)));
        }
        return v;
    }

    private static Volume secretVolume(String volume, String secret) {
        return new VolumeBuilder().withName(volume)
                .withNewSecret().withSecretName(secret).withDefaultMode(0440).endSecret().build();
    }
}
