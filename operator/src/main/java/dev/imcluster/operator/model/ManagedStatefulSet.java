package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PodTemplateOverrides;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one-replica StatefulSet every managed backend (Redis, NATS, Mosquitto) runs in: named and labelled after its component,
 * restricted pod security, and a {@code data} volume at {@code /data} that is a PVC of {@code storage}, or an
 * emptyDir when no storage is set. The backend's model supplies only its container and extra volumes.
 */
final class ManagedStatefulSet {
    static final String DATA = "data";
    static final String DATA_PATH = "/data";
    static final String TLS = "tls";
    static final String TLS_PATH = "/etc/imcluster-tls";

    private ManagedStatefulSet() {
    }

    /**
     * @param container the backend's container: name, image, command, ports, probes and its own mounts; the
     *                  security context and the data mount are added here
     */
    static StatefulSet of(PubSubCluster c, String name, String component, long uid, String storage,
                          Container container, List<Volume> extraVolumes, PodTemplateOverrides overrides) {
        PodTemplateOverrides o = overrides == null ? new PodTemplateOverrides() : overrides;
        List<Volume> volumes = new ArrayList<>(extraVolumes);
        if (storage == null) {
            volumes.add(new VolumeBuilder().withName(DATA).withNewEmptyDir().endEmptyDir().build());
        }
        Container withData = new ContainerBuilder(container)
                .withSecurityContext(PodSecurity.containerSecurityContext())
                .addNewVolumeMount().withName(DATA).withMountPath(DATA_PATH).endVolumeMount()
                .build();
        PodSpec pod = new PodSpecBuilder()
                .withAutomountServiceAccountToken(false)
                .withSecurityContext(PodSecurity.podSecurityContext(uid))
                .withContainers(withData)
                .withVolumes(volumes)
                .withAffinity(o.affinity)
                .withTolerations(o.tolerations)
                .withNodeSelector(o.nodeSelector)
                .withTopologySpreadConstraints(o.topologySpreadConstraints)
                .withPriorityClassName(o.priorityClassName)
                .build();
        PodOverrides.apply(o, pod, container.getName());
        Map<String, String> podLabels = new LinkedHashMap<>();
        if (o.labels != null) {
            podLabels.putAll(o.labels);
        }
        podLabels.putAll(Labels.all(c, component));
        return new StatefulSetBuilder()
                .withNewMetadata()
                    .withName(name)
                    .withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Labels.all(c, component))
                .endMetadata()
                .withNewSpec()
                    .withReplicas(1)
                    .withServiceName(name)
                    .withNewSelector().withMatchLabels(Labels.selector(c, component)).endSelector()
                    .withVolumeClaimTemplates(storage == null ? List.of() : List.of(new PersistentVolumeClaimBuilder()
                            .withNewMetadata().withName(DATA).endMetadata()
                            .withNewSpec()
                                .withAccessModes("ReadWriteOnce")
                                .withNewResources().addToRequests("storage", new Quantity(storage)).endResources()
                            .endSpec()
                            .build()))
                    .withNewTemplate()
                        .withNewMetadata().withLabels(podLabels).addToAnnotations(o.annotations == null ? Map.of()
                                : new LinkedHashMap<>(o.annotations)).endMetadata()
                        .withSpec(pod)
                    .endTemplate()
                .endSpec()
                .build();
    }

    /**
     * With spec.tls.internal: the backend's server certificate ({@link Names#internalTls(PubSubCluster,
     * ManagedBackend)}: tls.crt, tls.key, ca.crt) in a read-only volume at {@link #TLS_PATH}.
     */
    static Volume tlsVolume(PubSubCluster c, ManagedBackend backend) {
        return new VolumeBuilder().withName(TLS).withNewSecret().withSecretName(Names.internalTls(c, backend))
                .withDefaultMode(0440).endSecret().build();
    }

    static VolumeMount tlsMount() {
        return new VolumeMountBuilder().withName(TLS).withMountPath(TLS_PATH).withReadOnly(true).build();
    }

    /** A file of the TLS volume: {@link InternalCertificates#TLS_CERT}, TLS_KEY or CA_CERT. */
    static String tlsFile(String key) {
        return TLS_PATH + "/" + key;
    }

    /**
     * Rolls the backend's pod when its certificate or the CA it trusts first changes: Redis, NATS and Mosquitto
     * read them only at start. The bundle's first CA is the current one; an old CA leaving the bundle at its expiry
     * rolls nothing.
     * {@code certificate} is the Secret's PEM data (null: not known, no annotation).
     */
    static StatefulSet withCertificateHash(StatefulSet s, Map<String, String> certificate) {
        if (certificate != null) {
            var meta = s.getSpec().getTemplate().getMetadata();
            Map<String, String> annotations = meta.getAnnotations() == null ? new LinkedHashMap<>()
                    : new LinkedHashMap<>(meta.getAnnotations());
            meta.setAnnotations(annotations);
            List<java.security.cert.X509Certificate> cas =
                    X509Certificates.parseCertificates(certificate.get(InternalCertificates.CA_CERT));
            annotations.put(ManagedBackend.CERTIFICATE_HASH_ANNOTATION,
                    BrokerConfigRenderer.sha256(certificate.get(InternalCertificates.TLS_CERT) + "\n"
                            + (cas.isEmpty() ? "" : X509Certificates.pem(cas.get(0)))));
        }
        return s;
    }

    /** A probe that runs {@code command} in the container, for a backend probed over TLS with its own certificate. */
    static Probe tlsExec(List<String> command, int periodSeconds, int failureThreshold) {
        return new ProbeBuilder().withNewExec().withCommand(command).endExec()
                .withPeriodSeconds(periodSeconds).withTimeoutSeconds(3).withFailureThreshold(failureThreshold)
                .build();
    }

    /** A backend's readiness without TLS: the named port accepts TCP, checked every 5 s. */
    static Probe tcpReadiness(String port) {
        return new ProbeBuilder().withNewTcpSocket().withPort(new IntOrString(port)).endTcpSocket()
                .withPeriodSeconds(5).build();
    }

    /** The backends' liveness: the named port accepts TCP, checked every 10 s, restarted after a minute. */
    static Probe tcpLiveness(String port) {
        return new ProbeBuilder().withNewTcpSocket().withPort(new IntOrString(port)).endTcpSocket()
                .withPeriodSeconds(10).withFailureThreshold(6).build();
    }
}
