package dev.imcluster.nodeagent;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A pod's volumes as directories under {@code <pod dir>/volumes/<volume>}: ConfigMap and Secret volumes written
 * there (with {@code items}, swapped atomically by {@link AtomicVolume}, and kept up to date by {@link #refresh}),
 * every other kind (emptyDir, PVC, projected tokens) a plain directory.
 */
final class PodVolumes {
    private final Pod pod;
    private final Container container;
    private final Path dir;
    private final ConfigSource source;

    PodVolumes(Pod pod, Container container, Path podDir, ConfigSource source) {
        this.pod = pod;
        this.container = container;
        this.dir = podDir.resolve("volumes");
        this.source = source;
    }

    /** Container mount path -> its local directory (or file, with subPath). */
    Map<String, String> mounts() {
        Map<String, String> mounts = new LinkedHashMap<>();
        for (VolumeMount m : volumeMounts()) {
            String local = dir.resolve(m.getName()).toString();
            if (m.getSubPath() != null && !m.getSubPath().isEmpty()) {
                local += "/" + m.getSubPath();
            }
            mounts.put(m.getMountPath(), local);
        }
        return mounts;
    }

    /**
     * Creates the mounts' directories and writes the ConfigMap and Secret files (replacing what an earlier process of
     * the pod left), ConfigMaps' paths rewritten.
     */
    void write(Map<String, String> mounts, PathRewriter rewriter) throws IOException {
        for (String local : mounts.values()) {
            Files.createDirectories(Path.of(local));
        }
        for (Map.Entry<Path, Map<String, byte[]>> v : projected(rewriter).entrySet()) {
            AtomicVolume.reset(v.getKey(), v.getValue());
        }
    }

    /**
     * Re-reads the ConfigMaps and Secrets and swaps in each volume whose contents changed, as the kubelet updates a
     * running pod's volumes (a rotated certificate reaches the process without a restart); the names of those that
     * did.
     */
    List<String> refresh(PathRewriter rewriter) throws IOException {
        List<String> changed = new java.util.ArrayList<>();
        for (Map.Entry<Path, Map<String, byte[]>> v : projected(rewriter).entrySet()) {
            if (AtomicVolume.publish(v.getKey(), v.getValue())) {
                changed.add(v.getKey().getFileName().toString());
            }
        }
        return changed;
    }

    /** Each mounted ConfigMap or Secret volume's directory and its files (with {@code items} applied). */
    private Map<Path, Map<String, byte[]>> projected(PathRewriter rewriter) {
        Set<String> used = volumeMounts().stream().map(VolumeMount::getName).collect(Collectors.toSet());
        String ns = pod.getMetadata().getNamespace();
        Map<Path, Map<String, byte[]>> projected = new LinkedHashMap<>();
        for (Volume vol : Objects.requireNonNullElse(pod.getSpec().getVolumes(), List.<Volume>of())) {
            if (!used.contains(vol.getName())) {
                continue;
            }
            Map<String, byte[]> files;
            List<KeyToPath> items;
            boolean rewrite;
            if (vol.getConfigMap() != null) {
                files = source.configMap(ns, vol.getConfigMap().getName());
                items = vol.getConfigMap().getItems();
                rewrite = true;
            } else if (vol.getSecret() != null) {
                files = source.secret(ns, vol.getSecret().getSecretName());
                items = vol.getSecret().getItems();
                rewrite = false;
            } else {
                continue;
            }
            if (items != null && !items.isEmpty()) {
                Map<String, byte[]> selected = new LinkedHashMap<>();
                for (KeyToPath item : items) {
                    if (files.containsKey(item.getKey())) {
                        selected.put(item.getPath(), files.get(item.getKey()));
                    }
                }
                files = selected;
            }
            Map<String, byte[]> out = new LinkedHashMap<>();
            files.forEach((name, data) -> out.put(name, rewrite
                    ? rewriter.rewrite(new String(data, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)
                    : data));
            projected.put(dir.resolve(vol.getName()), out);
        }
        return projected;
    }

    private List<VolumeMount> volumeMounts() {
        return Objects.requireNonNullElse(container.getVolumeMounts(), List.of());
    }
}
