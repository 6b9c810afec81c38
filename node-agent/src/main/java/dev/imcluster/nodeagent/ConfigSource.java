package dev.imcluster.nodeagent;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** The data of a pod's Secrets and ConfigMaps, read when its container starts (as the kubelet does). */
final class ConfigSource {
    /** A referenced Secret or ConfigMap, or a key of it, that does not exist. */
    static final class MissingException extends RuntimeException {
        MissingException(String message) {
            super(message);
        }
    }

    private final KubernetesClient client;

    ConfigSource(KubernetesClient client) {
        this.client = client;
    }

    Map<String, byte[]> secret(String ns, String name) {
        Secret s = client.secrets().inNamespace(ns).withName(name).get();
        if (s == null) {
            throw new MissingException("secret " + ns + "/" + name + " not found");
        }
        Map<String, byte[]> data = new LinkedHashMap<>();
        if (s.getData() != null) {
            s.getData().forEach((k, v) -> data.put(k, Base64.getDecoder().decode(v)));
        }
        return data;
    }

    Map<String, byte[]> configMap(String ns, String name) {
        ConfigMap c = client.configMaps().inNamespace(ns).withName(name).get();
        if (c == null) {
            throw new MissingException("configmap " + ns + "/" + name + " not found");
        }
        Map<String, byte[]> data = new LinkedHashMap<>();
        if (c.getData() != null) {
            c.getData().forEach((k, v) -> data.put(k, v.getBytes(StandardCharsets.UTF_8)));
        }
        return data;
    }

    static byte[] key(Map<String, byte[]> data, String key, String what) {
        byte[] value = data.get(key);
        if (value == null) {
            throw new MissingException("no key " + key + " in " + what);
        }
        return value;
    }
}
