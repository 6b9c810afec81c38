package dev.imcluster.operator.model;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The checks of the "restricted" Pod Security Standard (the baseline ones included) over a pod spec, as the Pod
 * Security admission controller of newer API servers applies them; 1.20 has no such controller, so the tests run
 * them, and the operator reports in status.warnings a pod that user overrides take out of the profile.
 * e2e/pod-security.py is the same list over live objects.
 */
public final class RestrictedPodSecurity {
    /** Volume types the restricted profile allows. */
    private static final Set<String> VOLUME_TYPES = Set.of("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
            "persistentVolumeClaim", "projected", "secret");

    private RestrictedPodSecurity() {
    }

    /** Violations, each naming the field; empty when the pod spec is restricted. */
    public static List<String> violations(PodSpec pod) {
        List<String> v = new ArrayList<>();
        if (Boolean.TRUE.equals(pod.getHostNetwork())) {
            v.add("hostNetwork");
        }
        if (Boolean.TRUE.equals(pod.getHostPID())) {
            v.add("hostPID");
        }
        if (Boolean.TRUE.equals(pod.getHostIPC())) {
            v.add("hostIPC");
        }
        for (Volume vol : pod.getVolumes() == null ? List.<Volume>of() : pod.getVolumes()) {
            if (!VOLUME_TYPES.contains(volumeType(vol))) {
                v.add("volume " + vol.getName() + " of type " + volumeType(vol));
            }
        }
        PodSecurityContext psc = pod.getSecurityContext();
        boolean podNonRoot = psc != null && Boolean.TRUE.equals(psc.getRunAsNonRoot());
        boolean podSeccomp = psc != null && psc.getSeccompProfile() != null
                && Set.of("RuntimeDefault", "Localhost").contains(psc.getSeccompProfile().getType());
        if (psc != null && psc.getRunAsUser() != null && psc.getRunAsUser() == 0) {
            v.add("securityContext.runAsUser 0");
        }
        if (psc != null && psc.getSysctls() != null && !psc.getSysctls().isEmpty()) {
            v.add("securityContext.sysctls");
        }
        if (psc != null && psc.getSeLinuxOptions() != null) {
            v.add("securityContext.seLinuxOptions");
        }
        List<Container> containers = Stream.concat(
                pod.getInitContainers() == null ? Stream.<Container>empty() : pod.getInitContainers().stream(),
                pod.getContainers().stream()).toList();
        for (Container c : containers) {
            String at = "container " + c.getName() + ": ";
            SecurityContext sc = c.getSecurityContext();
            if (sc == null) {
                v.add(at + "no securityContext");
                continue;
            }
            if (Boolean.TRUE.equals(sc.getPrivileged())) {
                v.add(at + "privileged");
            }
            if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
                v.add(at + "allowPrivilegeEscalation is not false");
            }
            if (!podNonRoot && !Boolean.TRUE.equals(sc.getRunAsNonRoot())) {
                v.add(at + "runAsNonRoot is not true");
            }
            if (Boolean.FALSE.equals(sc.getRunAsNonRoot())) {
                v.add(at + "runAsNonRoot false");
            }
            if (sc.getRunAsUser() != null && sc.getRunAsUser() == 0) {
                v.add(at + "runAsUser 0");
            }
            boolean seccomp = sc.getSeccompProfile() == null ? podSeccomp
                    : Set.of("RuntimeDefault", "Localhost").contains(sc.getSeccompProfile().getType());
            if (!seccomp) {
                v.add(at + "seccompProfile is not RuntimeDefault or Localhost");
            }
            Capabilities caps = sc.getCapabilities();
            if (caps == null || caps.getDrop() == null || !caps.getDrop().contains("ALL")) {
                v.add(at + "capabilities do not drop ALL");
            }
            if (caps != null && caps.getAdd() != null
                    && caps.getAdd().stream().anyMatch(a -> !a.equals("NET_BIND_SERVICE"))) {
                v.add(at + "capabilities add " + caps.getAdd());
            }
            if (sc.getProcMount() != null && !sc.getProcMount().equals("Default")) {
                v.add(at + "procMount " + sc.getProcMount());
            }
            if (sc.getSeLinuxOptions() != null) {
                v.add(at + "seLinuxOptions");
            }
            for (ContainerPort p : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
                if (p.getHostPort() != null && p.getHostPort() != 0) {
                    v.add(at + "hostPort " + p.getHostPort());
                }
            }
        }
        return v;
    }

    private static String volumeType(Volume v) {
        if (v.getConfigMap() != null) {
            return "configMap";
        }
        if (v.getCsi() != null) {
            return "csi";
        }
        if (v.getDownwardAPI() != null) {
            return "downwardAPI";
        }
        if (v.getEmptyDir() != null) {
            return "emptyDir";
        }
        if (v.getEphemeral() != null) {
            return "ephemeral";
        }
        if (v.getPersistentVolumeClaim() != null) {
            return "persistentVolumeClaim";
        }
        if (v.getProjected() != null) {
            return "projected";
        }
        if (v.getSecret() != null) {
            return "secret";
        }
        return v.getHostPath() != null ? "hostPath" : "other";
    }
}
