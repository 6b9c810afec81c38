package dev.imcluster.nodeagent;

import io.fabric8.kubernetes.api.model.ConfigMapKeySelector;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A container's environment: env and envFrom resolved as the kubelet does, mount paths rewritten in the values. */
final class PodEnvironment {
    private static final Pattern VAR_REF = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
    private static final String LABEL_PREFIX = "metadata.labels['";

    private final Pod pod;
    private final Container container;
    private final String ip;
    private final String node;
    private final ConfigSource source;

    PodEnvironment(Pod pod, Container container, String ip, String node, ConfigSource source) {
        this.pod = pod;
        this.container = container;
        this.ip = ip;
        this.node = node;
        this.source = source;
    }

    Map<String, String> build(Path podDir, PathRewriter rewriter) {
        String ns = pod.getMetadata().getNamespace();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", Objects.requireNonNullElse(System.getenv("PATH"), "/usr/bin:/bin"));
        env.put("HOME", podDir.toString());
        env.put("HOSTNAME", pod.getMetadata().getName());
        for (EnvFromSource from : Objects.requireNonNullElse(container.getEnvFrom(), List.<EnvFromSource>of())) {
            Map<String, byte[]> data = from.getConfigMapRef() != null
                    ? source.configMap(ns, from.getConfigMapRef().getName())
                    : source.secret(ns, from.getSecretRef().getName());
            String prefix = Objects.requireNonNullElse(from.getPrefix(), "");
            data.forEach((k, v) -> env.put(prefix + k, new String(v, StandardCharsets.UTF_8)));
        }
        for (EnvVar e : Objects.requireNonNullElse(container.getEnv(), List.<EnvVar>of())) {
            String value;
            if (e.getValueFrom() == null && e.getValue() == null) {
                continue; // neither value nor valueFrom (the API server drops an empty value): not set
            } else if (e.getValueFrom() == null) {
                value = expand(e.getValue(), env);
            } else {
                EnvVarSource ref = e.getValueFrom();
                try {
                    if (ref.getFieldRef() != null) {
                        value = field(ref.getFieldRef().getFieldPath());
                    } else if (ref.getSecretKeyRef() != null) {
                        SecretKeySelector s = ref.getSecretKeyRef();
                        value = text(ConfigSource.key(source.secret(ns, s.getName()), s.getKey(), "secret " + s.getName()));
                    } else if (ref.getConfigMapKeyRef() != null) {
                        ConfigMapKeySelector c = ref.getConfigMapKeyRef();
                        value = text(ConfigSource.key(source.configMap(ns, c.getName()), c.getKey(),
                                "configmap " + c.getName()));
                    } else {
                        continue; // resourceFieldRef: nothing meaningful for a local process
                    }
                } catch (ConfigSource.MissingException | KubernetesClientException ex) {
                    if (optional(ref)) {
                        continue;
                    }
                    throw ex;
                }
            }
            env.put(e.getName(), rewriter.rewrite(value));
        }
        return env;
    }

    /** $(VAR) replaced by the variable's value in {@code env}, as the kubelet does; an unknown one stays as written. */
    static String expand(String value, Map<String, String> env) {
        return VAR_REF.matcher(value).replaceAll(m -> Matcher.quoteReplacement(env.getOrDefault(m.group(1),
                m.group(0))));
    }

    String field(String path) {
        String value = switch (path) {
            case "metadata.name" -> pod.getMetadata().getName();
            case "metadata.namespace" -> pod.getMetadata().getNamespace();
            case "metadata.uid" -> pod.getMetadata().getUid();
            case "status.podIP" -> ip;
            case "status.hostIP" -> "127.0.0.1";
            case "spec.nodeName" -> node;
            case "spec.serviceAccountName" -> pod.getSpec().getServiceAccountName();
            default -> null;
        };
        if (value != null && !value.isEmpty()) {
            return value;
        }
        if (path.startsWith(LABEL_PREFIX) && path.endsWith("']") && pod.getMetadata().getLabels() != null) {
            return Objects.requireNonNullElse(
                    pod.getMetadata().getLabels().get(path.substring(LABEL_PREFIX.length(), path.length() - 2)), "");
        }
        return "";
    }

    private static boolean optional(EnvVarSource ref) {
        Boolean optional = ref.getSecretKeyRef() != null ? ref.getSecretKeyRef().getOptional()
                : ref.getConfigMapKeyRef() != null ? ref.getConfigMapKeyRef().getOptional() : null;
        return Boolean.TRUE.equals(optional);
    }

    private static String text(byte[] data) {
        return new String(data, StandardCharsets.UTF_8);
    }
}
