package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.SchemaFrom;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;

import java.util.List;
import java.util.Map;

/**
 * Pod template fields a user may set; everything else about the pod is the operator's. Used by every role and by
 * the managed Redis and NATS. Descriptions of embedded Kubernetes types end with {@value #EXPLAIN}, pointing at
 * their own documentation (a test requires a description on every other field).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PodTemplateOverrides {
    /** Marks a description of an embedded Kubernetes type, documented by kubectl explain on the pod. */
    public static final String EXPLAIN = "See kubectl explain ";

    @JsonPropertyDescription("Pod affinity and anti-affinity. " + EXPLAIN + "pod.spec.affinity.")
    public Affinity affinity;
    @JsonPropertyDescription("Tolerations. " + EXPLAIN + "pod.spec.tolerations.")
    public List<Toleration> tolerations;
    @JsonPropertyDescription("Node selector.")
    public Map<String, String> nodeSelector;
    @JsonPropertyDescription("Topology spread constraints. " + EXPLAIN + "pod.spec.topologySpreadConstraints.")
    public List<TopologySpreadConstraint> topologySpreadConstraints;
    @JsonPropertyDescription("Extra pod annotations (the operator's own keys win).")
    public Map<String, String> annotations;
    @JsonPropertyDescription("Extra pod labels (the operator's app.kubernetes.io/* labels win).")
    public Map<String, String> labels;
    @JsonPropertyDescription("Priority class of the pods.")
    @io.fabric8.generator.annotation.Pattern(Patterns.DNS_SUBDOMAIN)
    @io.fabric8.generator.annotation.Size(max = Patterns.NAME_MAX)
    public String priorityClassName;

    @JsonPropertyDescription("Secrets holding registry credentials for the pod's images (the operator's and the "
            + "extra containers'). " + EXPLAIN + "pod.spec.imagePullSecrets.")
    @io.fabric8.generator.annotation.Size(max = 32)
    public List<LocalObjectReference> imagePullSecrets;

    @JsonPropertyDescription("Extra environment variables of the main container, after the operator's. Names the "
            + "operator sets are refused (the broker's: POD_IP and every name starting with IMCLUSTER_, which would "
            + "override the rendered config); JAVA_TOOL_OPTIONS replaces the operator's JVM flags and "
            + "IMCLUSTER_LOG_FORMAT=text its JSON logs. "
            + EXPLAIN + "pod.spec.containers.env.")
    @io.fabric8.generator.annotation.Size(max = 256)
    public List<EnvVar> env;

    @JsonPropertyDescription("ConfigMaps and Secrets whose keys become environment variables of the main container. "
            + "Kubernetes gives env (the operator's and the extra env) precedence over envFrom, so envFrom cannot "
            + "override what the operator sets. " + EXPLAIN + "pod.spec.containers.envFrom.")
    @io.fabric8.generator.annotation.Size(max = 64)
    public List<EnvFromSource> envFrom;

    @JsonPropertyDescription("Extra pod volumes (core/v1 Volume objects, kept as written and validated by the API "
            + "server with the pod). Names the operator uses are refused: config, tmp, internal-token, auth, kafka, "
            + "mqtt, tls in broker pods; conf and data in Redis; data in NATS; data and run in Mosquitto. " + EXPLAIN
            + "pod.spec.volumes.")
    @SchemaFrom(type = EmbeddedObjects.class)
    public List<Volume> volumes;

    @JsonPropertyDescription("Extra mounts of the main container; each names a volume of podTemplate.volumes, at a "
            + "path outside the operator's mounts. " + EXPLAIN + "pod.spec.containers.volumeMounts.")
    @io.fabric8.generator.annotation.Size(max = 64)
    public List<VolumeMount> volumeMounts;

    @JsonPropertyDescription("Init containers run before the main container (core/v1 Container objects). One "
            + "without a securityContext gets the operator's restricted one. " + EXPLAIN + "pod.spec.initContainers.")
    @SchemaFrom(type = EmbeddedObjects.class)
    public List<Container> initContainers;

    @JsonPropertyDescription("Extra containers running next to the main one (core/v1 Container objects). One "
            + "without a securityContext gets the operator's restricted one. " + EXPLAIN + "pod.spec.containers.")
    @SchemaFrom(type = EmbeddedObjects.class)
    public List<Container> sidecars;

    @JsonPropertyDescription("Pod security context fields that replace the operator's (runAsNonRoot, uid and gid, "
            + "RuntimeDefault seccomp), field by field. A pod that no longer meets the restricted Pod Security "
            + "Standard is still rendered, and status.warnings says why. " + EXPLAIN + "pod.spec.securityContext.")
    public PodSecurityContext securityContext;

    @JsonPropertyDescription("Security context fields of the main container that replace the operator's "
            + "(no privilege escalation, read-only root filesystem, all capabilities dropped, RuntimeDefault "
            + "seccomp), field by field; a weaker one is reported in status.warnings. "
            + EXPLAIN + "pod.spec.containers.securityContext.")
    public SecurityContext containerSecurityContext;
}
