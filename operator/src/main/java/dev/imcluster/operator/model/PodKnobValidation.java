package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PodTemplateOverrides;

import java.util.List;
import java.util.Set;

import static dev.imcluster.operator.model.SpecValidation.shorten;

/** A pod template's pull secrets, env, envFrom, volumes, volume mounts and extra containers. */
final class PodKnobValidation {
    private PodKnobValidation() {
    }

    /** Pod-level knobs against what the operator's own pod needs: its volumes, mount paths, container name and env. */
    static void knobs(String at, PodTemplateOverrides t, String main, Set<String> reservedVolumes,
                      List<String> reservedPaths, boolean broker, List<String> p) {
        if (t.imagePullSecrets != null) {
            for (int i = 0; i < t.imagePullSecrets.size(); i++) {
                var ref = t.imagePullSecrets.get(i);
                if (ref == null || !KubeSyntax.isDnsSubdomain(ref.getName())) {
                    p.add(at + ".imagePullSecrets[" + i + "].name '" + shorten(ref == null ? null : ref.getName())
                            + "' is not a valid Secret name");
                }
            }
        }
        if (t.env != null) {
            Set<String> seen = new java.util.HashSet<>();
            for (int i = 0; i < t.env.size(); i++) {
                String name = t.env.get(i) == null ? null : t.env.get(i).getName();
                String e = at + ".env[" + i + "].name";
                if (name == null || name.isEmpty() || name.contains("=")) {
                    p.add(e + " '" + shorten(name) + "' is not a valid environment variable name");
                } else if (broker && PodOverrides.reservedBrokerEnv(name)) {
                    p.add(e + " '" + shorten(name) + "' is set by the operator (POD_IP and every name starting with "
                            + PodOverrides.RESERVED_ENV_PREFIX + " carry the pod's identity and the rendered config): "
                            + "change the spec field it comes from instead");
                } else if (!seen.add(name)) {
                    p.add(e + " '" + shorten(name) + "' is listed more than once");
                }
            }
        }
        if (t.envFrom != null) {
            for (int i = 0; i < t.envFrom.size(); i++) {
                var src = t.envFrom.get(i);
                boolean cm = src != null && src.getConfigMapRef() != null;
                boolean secret = src != null && src.getSecretRef() != null;
                String name = !(cm ^ secret) ? null : cm ? src.getConfigMapRef().getName() : src.getSecretRef().getName();
                if (cm == secret) {
                    p.add(at + ".envFrom[" + i + "] needs exactly one of configMapRef and secretRef");
                } else if (!KubeSyntax.isDnsSubdomain(name)) {
                    p.add(at + ".envFrom[" + i + "]: '" + shorten(name) + "' is not a valid object name");
                }
            }
        }
        Set<String> volumes = new java.util.HashSet<>();
        if (t.volumes != null) {
            for (int i = 0; i < t.volumes.size(); i++) {
                var v = t.volumes.get(i);
                String name = v == null ? null : v.getName();
                String e = at + ".volumes[" + i + "]";
                if (name == null || !KubeSyntax.isDns1123Label(name)) {
                    p.add(e + ".name '" + shorten(name) + "' is not a valid volume name (a DNS-1123 label)");
                } else if (reservedVolumes.contains(name)) {
                    p.add(e + ".name '" + name + "' is a volume of the operator's (" + String.join(", ",
                            new java.util.TreeSet<>(reservedVolumes)) + " are taken): choose another name");
                } else if (!volumes.add(name)) {
                    p.add(e + ".name '" + name + "' is listed more than once");
                }
                if (v != null && VOLUME_JSON.valueToTree(v).size() < 2) {
                    p.add(e + " has no volume source (such as configMap, secret, emptyDir, persistentVolumeClaim)");
                }
            }
        }
        if (t.volumeMounts != null) {
            Set<String> paths = new java.util.HashSet<>();
            for (int i = 0; i < t.volumeMounts.size(); i++) {
                var m = t.volumeMounts.get(i);
                String e = at + ".volumeMounts[" + i + "]";
                String name = m == null ? null : m.getName();
                String path = m == null ? null : m.getMountPath();
                if (name == null || !volumes.contains(name)) {
                    p.add(e + ".name '" + shorten(name) + "' names no volume of " + at + ".volumes");
                }
                if (path == null || !path.startsWith("/")) {
                    p.add(e + ".mountPath '" + shorten(path) + "' is not an absolute path");
                } else {
                    String clean = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
                    reservedPaths.stream().filter(r -> clean.equals(r) || clean.startsWith(r + "/")
                                    || clean.equals("/")).findFirst()
                            .ifPresent(r -> p.add(e + ".mountPath '" + shorten(path) + "' is on the operator's mount "
                                    + r + " (" + String.join(", ", reservedPaths) + " and below are taken)"));
                    if (!paths.add(clean)) {
                        p.add(e + ".mountPath '" + shorten(path) + "' is mounted more than once");
                    }
                }
            }
        }
        Set<String> containers = new java.util.HashSet<>(Set.of(main));
        containers(at + ".initContainers", t.initContainers, containers, p);
        containers(at + ".sidecars", t.sidecars, containers, p);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper VOLUME_JSON =
            new com.fasterxml.jackson.databind.ObjectMapper()
                    .setSerializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY);

    /** Extra containers: a valid name, unique in the pod (the operator's container included), an image. */
    private static void containers(String at, List<io.fabric8.kubernetes.api.model.Container> list, Set<String> names,
                                   List<String> p) {
        if (list == null) {
            return;
        }
        for (int i = 0; i < list.size(); i++) {
            var c = list.get(i);
            String name = c == null ? null : c.getName();
            if (name == null || !KubeSyntax.isDns1123Label(name)) {
                p.add(at + "[" + i + "].name '" + shorten(name) + "' is not a valid container name (a DNS-1123 label)");
            } else if (!names.add(name)) {
                p.add(at + "[" + i + "].name '" + name + "' is taken by another container of the pod");
            }
            if (c != null && (c.getImage() == null || c.getImage().isBlank())) {
                p.add(at + "[" + i + "].image is required");
            }
        }
    }
}
