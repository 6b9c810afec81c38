package dev.imcluster.operator.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imcluster.operator.api.v1alpha1.PodTemplateOverrides;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.VolumeMount;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pod-level overrides of {@link PodTemplateOverrides} that every pod the operator makes takes the same way
 * (broker roles, managed Redis, NATS and Mosquitto): image pull secrets, env, envFrom, volumes and mounts, init and
 * sidecar containers, and the security contexts, which replace the operator's field by field. Placement, labels and
 * annotations are applied by each model. What the operator itself needs (its volumes, mount paths and env) is
 * reserved, and {@link SpecValidation} refuses a spec that would collide with it.
 */
public final class PodOverrides {
    /** Volumes of the broker pods (present or not: a spec change may add them later). */
    public static final Set<String> BROKER_VOLUMES = Set.of("config", "tmp", "internal-token", "auth", "kafka", "mqtt", "tls");
    public static final Set<String> REDIS_VOLUMES = Set.of("conf", ManagedStatefulSet.DATA);
    public static final Set<String> NATS_VOLUMES = Set.of(ManagedStatefulSet.DATA);
    public static final Set<String> MQTT_VOLUMES = Set.of(ManagedStatefulSet.DATA, MqttModel.RUN);
    /** Mount paths the operator uses: a user mount may not take them, nor any path below them. */
    public static final List<String> BROKER_PATHS = List.of(Mounts.CONFIG_DIR, Mounts.TMP_DIR, Mounts.SECRETS_DIR,
            "/app");
    public static final List<String> REDIS_PATHS = List.of("/etc/redis", ManagedStatefulSet.DATA_PATH);
    public static final List<String> NATS_PATHS = List.of(ManagedStatefulSet.DATA_PATH);
    public static final List<String> MQTT_PATHS = List.of(ManagedStatefulSet.DATA_PATH, MqttModel.RUN_PATH);
    /** Env of the broker container the user may not set: these carry the rendered config and identity. */
    public static final String RESERVED_ENV_PREFIX = "IMCLUSTER_";
    public static final Set<String> RESERVED_ENV = Set.of("POD_IP");
    /** Env the operator sets but the user's value replaces. */
    public static final String JVM_OPTIONS_ENV = "JAVA_TOOL_OPTIONS";
    /** The broker's log format: json on Kubernetes (structured logs for shippers); a user's text replaces it. */
    public static final String LOG_FORMAT_ENV = "IMCLUSTER_LOG_FORMAT";
    public static final Set<String> REPLACEABLE_ENV = Set.of(JVM_OPTIONS_ENV, LOG_FORMAT_ENV);

    private static final ObjectMapper JSON = new ObjectMapper();

    private PodOverrides() {
    }

    /** Whether a broker container may not take {@code name} from the user. */
    public static boolean reservedBrokerEnv(String name) {
        return name != null && !REPLACEABLE_ENV.contains(name)
                && (name.startsWith(RESERVED_ENV_PREFIX) || RESERVED_ENV.contains(name));
    }

    /**
     * Applies {@code o} (null: nothing) to {@code pod}, whose container {@code main} is the operator's. The user's
     * env follows the operator's (the user's JAVA_TOOL_OPTIONS or IMCLUSTER_LOG_FORMAT replaces the operator's); extra volumes and mounts
     * follow the operator's; sidecars follow the main container; init and sidecar containers without a security
     * context get the restricted one.
     */
    public static void apply(PodTemplateOverrides o, PodSpec pod, String main) {
        if (o == null) {
            return;
        }
        if (o.imagePullSecrets != null && !o.imagePullSecrets.isEmpty()) {
            pod.setImagePullSecrets(new ArrayList<>(o.imagePullSecrets));
        }
        pod.setSecurityContext(merge(pod.getSecurityContext(), o.securityContext, PodSecurityContext.class));
        Container c = pod.getContainers().stream().filter(x -> main.equals(x.getName())).findFirst().orElseThrow();
        c.setSecurityContext(merge(c.getSecurityContext(), o.containerSecurityContext, SecurityContext.class));
        if (o.env != null && !o.env.isEmpty()) {
            Set<String> user = new java.util.HashSet<>();
            o.env.forEach(e -> user.add(e.getName()));
            List<EnvVar> env = new ArrayList<>();
            (c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()).stream()
                    .filter(e -> !(REPLACEABLE_ENV.contains(e.getName()) && user.contains(e.getName())))
                    .forEach(env::add);
            env.addAll(o.env);
            c.setEnv(env);
        }
        if (o.envFrom != null && !o.envFrom.isEmpty()) {
            c.setEnvFrom(new ArrayList<>(o.envFrom));
        }
        if (o.volumeMounts != null && !o.volumeMounts.isEmpty()) {
            List<VolumeMount> mounts = new ArrayList<>(c.getVolumeMounts() == null ? List.of() : c.getVolumeMounts());
            mounts.addAll(o.volumeMounts);
            c.setVolumeMounts(mounts);
        }
        if (o.volumes != null && !o.volumes.isEmpty()) {
            List<io.fabric8.kubernetes.api.model.Volume> volumes =
                    new ArrayList<>(pod.getVolumes() == null ? List.of() : pod.getVolumes());
            volumes.addAll(o.volumes);
            pod.setVolumes(volumes);
        }
        if (o.initContainers != null && !o.initContainers.isEmpty()) {
            pod.setInitContainers(o.initContainers.stream().map(PodOverrides::restrictedByDefault).toList());
        }
        if (o.sidecars != null && !o.sidecars.isEmpty()) {
            List<Container> containers = new ArrayList<>(pod.getContainers());
            o.sidecars.stream().map(PodOverrides::restrictedByDefault).forEach(containers::add);
            pod.setContainers(containers);
        }
    }

    /** A copy of a user's container, with the operator's restricted security context when it has none. */
    static Container restrictedByDefault(Container c) {
        return c.getSecurityContext() != null ? c
                : new ContainerBuilder(c).withSecurityContext(PodSecurity.containerSecurityContext()).build();
    }

    /** {@code base} with every field {@code override} sets replaced (a nested object as a whole). */
    static <T> T merge(T base, T override, Class<T> type) {
        if (override == null) {
            return base;
        }
        if (base == null) {
            return override;
        }
        ObjectNode merged = JSON.valueToTree(base);
        ObjectNode o = JSON.valueToTree(override);
        o.fields().forEachRemaining(e -> {
            if (!e.getValue().isNull()) {
                merged.set(e.getKey(), e.getValue());
            }
        });
        return JSON.convertValue(merged, type);
    }

    /**
     * Why the pods the overrides of {@code c} shape no longer meet the restricted Pod Security Standard, one line
     * per pod kind ({@code spec.comet.podTemplate: ...}); empty when they all do. The operator's own parts are
     * restricted (PodSecurityStandardTest), so only what a user can change is checked.
     */
    public static List<String> restrictedWarnings(PubSubCluster c) {
        Map<String, PodTemplateOverrides> templates = new LinkedHashMap<>();
        for (Role role : Role.values()) {
            var rs = DeploymentModel.roleSpec(c.getSpec(), role);
            templates.put("spec." + role.id() + ".podTemplate", rs == null ? null : rs.podTemplate);
        }
        if (RedisModel.managed(c) && c.getSpec().redis != null && c.getSpec().redis.managed != null) {
            templates.put("spec.redis.managed.podTemplate", c.getSpec().redis.managed.podTemplate);
        }
        if (NatsModel.managed(c)) {
            templates.put("spec.mq.nats.podTemplate", c.getSpec().mq.nats.podTemplate);
        }
        if (MqttModel.managed(c)) {
            templates.put("spec.mq.mqtt.podTemplate", c.getSpec().mq.mqtt.podTemplate);
        }
        List<String> w = new ArrayList<>();
        templates.forEach((at, o) -> {
            if (o == null) {
                return;
            }
            PodSpec pod = new io.fabric8.kubernetes.api.model.PodSpecBuilder()
                    .withSecurityContext(PodSecurity.podSecurityContext())
                    .addNewContainer().withName("main").withSecurityContext(PodSecurity.containerSecurityContext())
                    .endContainer()
                    .build();
            try {
                apply(o, pod, "main");
            } catch (RuntimeException invalid) {
                return; // a malformed template (a null entry): SpecValidation reports it
            }
            List<String> v = RestrictedPodSecurity.violations(pod);
            if (!v.isEmpty()) {
                w.add(at + " takes its pods out of the restricted Pod Security Standard (" + String.join(", ", v)
                        + "); a namespace that enforces it will refuse them.");
            }
        });
        return w;
    }
}
