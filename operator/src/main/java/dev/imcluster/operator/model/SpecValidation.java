package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.AuthSpec;
import dev.imcluster.operator.api.v1alpha1.CometSpec;
import dev.imcluster.operator.api.v1alpha1.LogicSpec;
import dev.imcluster.operator.api.v1alpha1.DeliverySpec;
import dev.imcluster.operator.api.v1alpha1.Durations;
import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PodTemplateOverrides;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterSpec;
import dev.imcluster.operator.api.v1alpha1.RoleSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The spec checks CEL does on current API servers, repeated here because API servers before 1.25 (1.20 included)
 * do not enforce CEL rules, and the checks no schema can express: that every value passed into an owned object
 * (names, labels, annotations, quantities, tolerations) is one the API server accepts there, so that an invalid spec
 * is refused before anything is applied instead of failing halfway. Pure: the reconciler adds the checks that need
 * the cluster (Secrets).
 */
public final class SpecValidation {
    private SpecValidation() {
    }

    /** Problems, each naming its field; empty when the spec is valid. */
    public static List<String> problems(PubSubCluster c) {
        List<String> p = new ArrayList<>();
        PubSubClusterSpec s = c.getSpec();
        if (s == null) {
            p.add("spec is missing");
            return p;
        }
        name(c.getMetadata().getName(), p);
        role("comet", s.comet, p);
        role("logic", s.logic, p);
        role("job", s.job, p);
        if (s.comet != null && s.comet.service != null && s.comet.service.annotations != null) {
            annotations("spec.comet.service.annotations", s.comet.service.annotations, p);
        }
        MqSpec mq = s.mq;
        if (mq != null && mq.backend == MqSpec.Backend.kafka && !configured(MqSpec.Backend.kafka, mq)) {
            p.add("spec.mq.kafka.bootstrapServers is required when spec.mq.backend is kafka");
        }
        if (mq != null && mq.backend == MqSpec.Backend.nats && !configured(MqSpec.Backend.nats, mq)) {
            p.add("spec.mq.nats needs url, or managed: true, when spec.mq.backend is nats");
        }
        if (mq != null) {
            stillNeeded(c, mq, p);
        }
        if (mq != null && mq.nats != null && mq.nats.url != null && mq.nats.isManaged()) {
            p.add("spec.mq.nats.url and spec.mq.nats.managed are mutually exclusive");
        }
        if (s.redis != null && s.redis.managed != null && s.redis.external != null) {
            p.add("spec.redis.managed and spec.redis.external are mutually exclusive");
        }
        if (s.redis != null && s.redis.external != null
                && (s.redis.external.address == null || s.redis.external.address.isBlank())) {
            p.add("spec.redis.external.address is required");
        }
        AuthSpec auth = s.auth;
        if (auth != null && auth.jwt != null && java.util.stream.Stream.of(auth.jwt.secretRef,
                auth.jwt.publicKeySecretRef, auth.jwt.jwksUrl).filter(java.util.Objects::nonNull).count() != 1) {
            p.add("spec." + AuthSpec.Jwt.ONE_KEY_SOURCE);
        }
        if (s.tls != null && !s.tls.hasClientCertificate() && s.tls.internal == null) {
            p.add("spec.tls needs secretName (client TLS), internal, or both");
        }
        if (s.tls != null && s.tls.internal != null) {
            internalTls(s.tls.internal, p);
        }
        addresses(s, p);
        if (mq != null && mq.nats != null && mq.nats.storage != null && !mq.nats.isManaged()) {
            p.add("spec.mq.nats.storage is only for a managed NATS: set spec.mq.nats.managed: true or remove storage");
        }
        if (auth != null && auth.jwt != null) {
            maxLength("spec.auth.jwt.issuer", auth.jwt.issuer, MAX_CLAIM, p);
            maxLength("spec.auth.jwt.audience", auth.jwt.audience, MAX_CLAIM, p);
        }
        if (s.delivery != null) {
            delivery(s.delivery, p);
        }
        backendPods(s, p);
        serviceAndAccount(s, p);
        limits(s, p);
        return p;
    }

    /**
     * The backends the cluster still runs on (status.backend.active, and both ends of a swap in progress) keep their
     * settings until a swap away from them is Complete: a spec that changes the backend and drops the old one's
     * settings in one edit would leave the swap that edit starts nothing to drain. The CRD's transition rules on spec
     * refuse the same edit on API servers that run CEL.
     */
    private static void stillNeeded(PubSubCluster c, MqSpec mq, List<String> p) {
        MigrationState swap = MigrationState.of(c.getStatus());
        MqSpec.Backend active = c.getStatus() == null || c.getStatus().backend == null ? null
                : MigrationState.backend(c.getStatus().backend.active);
        Set<MqSpec.Backend> inUse = new java.util.LinkedHashSet<>();
        if (active != null) {
            inUse.add(active);
        }
        if (swap != null) {
            inUse.add(swap.from());
            inUse.add(swap.to());
        }
        String route = swap != null ? swap.from() + " -> " + swap.to() : active + " -> " + mq.backend;
        for (MqSpec.Backend b : inUse) {
            if (b != mq.backend && !configured(b, mq)) {
                p.add("spec." + SETTINGS.get(b) + " is still needed until the backend swap away from " + b
                        + " is Complete (swap " + route + ")");
            }
        }
    }

    /** The settings a backend needs, as the messages (and the CRD's CEL rules) name them. */
    private static final Map<MqSpec.Backend, String> SETTINGS = Map.of(MqSpec.Backend.kafka,
            "mq.kafka.bootstrapServers", MqSpec.Backend.nats, "mq.nats (url or managed: true)");

    /** Whether the spec has what the backend needs to connect (redis needs nothing: it is the session Redis). */
    private static boolean configured(MqSpec.Backend b, MqSpec mq) {
        return switch (b) {
            case kafka -> mq.kafka != null && mq.kafka.bootstrapServers != null && !mq.kafka.bootstrapServers.isBlank();
            case nats -> mq.nats != null && (mq.nats.url != null || mq.nats.isManaged());
            case redis -> true;
        };
    }

    /** Longest accepted JWT issuer or audience (they go into the config file of every pod). */
    static final int MAX_CLAIM = 1024;
    private static final Set<String> TOLERATION_OPERATORS = Set.of("Exists", "Equal");
    private static final Set<String> TAINT_EFFECTS = Set.of("NoSchedule", "PreferNoSchedule", "NoExecute");
    private static final Set<String> STANDARD_RESOURCES = Set.of("cpu", "memory", "ephemeral-storage");

    private static void name(String name, List<String> p) {
        if (name == null) {
            p.add("metadata.name is missing");
        } else if (name.length() > Names.MAX_CLUSTER_NAME) {
            p.add("metadata.name '" + name + "' has " + name.length() + " characters; at most " + Names.MAX_CLUSTER_NAME
                    + " fit: derived names such as '" + name + "-comet-headless' must be 63-character DNS labels "
                    + "(StatefulSet names 52)");
        } else if (!KubeSyntax.isDns1035Label(name)) {
            p.add("metadata.name '" + name + "' cannot name the cluster's Services: use lowercase letters, digits "
                    + "and '-', starting with a letter (a DNS-1035 label)");
        }
    }

    private static void role(String id, RoleSpec r, List<String> p) {
        if (r == null) {
            return;
        }
        String at = "spec." + id;
        if (r.resources != null) {
            resources(at + ".resources", r.resources, p);
        }
        if (r.podTemplate != null) {
            podTemplate(at + ".podTemplate", r.podTemplate, DeploymentModel.CONTAINER, PodOverrides.BROKER_VOLUMES,
                    PodOverrides.BROKER_PATHS, true, p);
        }
    }

    /**
     * A pod template's overrides: placement and metadata as the API server checks them, and the pod-level knobs
     * against what the operator's own pod needs (its volumes, mount paths, container name and env).
     */
    private static void podTemplate(String at0, PodTemplateOverrides t, String main, Set<String> reservedVolumes,
                                    List<String> reservedPaths, boolean broker, List<String> p) {
        String at = at0.substring(0, at0.length() - ".podTemplate".length());
        if (t.labels != null) {
            labels(at + ".podTemplate.labels", t.labels, p);
        }
        if (t.nodeSelector != null) {
            labels(at + ".podTemplate.nodeSelector", t.nodeSelector, p);
        }
        if (t.annotations != null) {
            annotations(at + ".podTemplate.annotations", t.annotations, p);
        }
        if (t.priorityClassName != null && !KubeSyntax.isDnsSubdomain(t.priorityClassName)) {
            p.add(at + ".podTemplate.priorityClassName '" + shorten(t.priorityClassName)
                    + "' is not a valid object name (a DNS-1123 subdomain)");
        }
        if (t.tolerations != null) {
            for (int i = 0; i < t.tolerations.size(); i++) {
                toleration(at + ".podTemplate.tolerations[" + i + "]", t.tolerations.get(i), p);
            }
        }
        if (t.topologySpreadConstraints != null) {
            for (int i = 0; i < t.topologySpreadConstraints.size(); i++) {
                spread(at + ".podTemplate.topologySpreadConstraints[" + i + "]", t.topologySpreadConstraints.get(i), p);
            }
        }
        if (t.affinity != null) {
            PlacementRules.affinity(at + ".podTemplate.affinity", t.affinity, p);
        }
        podKnobs(at0, t, main, reservedVolumes, reservedPaths, broker, p);
    }

    private static void podKnobs(String at, PodTemplateOverrides t, String main, Set<String> reservedVolumes,
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

    /** The managed Redis and NATS pod templates. */
    private static void backendPods(PubSubClusterSpec s, List<String> p) {
        if (s.redis != null && s.redis.managed != null && s.redis.managed.podTemplate != null) {
            podTemplate("spec.redis.managed.podTemplate", s.redis.managed.podTemplate, "redis",
                    PodOverrides.REDIS_VOLUMES, PodOverrides.REDIS_PATHS, false, p);
        }
        if (s.mq != null && s.mq.nats != null && s.mq.nats.podTemplate != null) {
            if (!s.mq.nats.isManaged()) {
                p.add("spec.mq.nats.podTemplate is only for a managed NATS: set spec.mq.nats.managed: true or remove "
                        + "podTemplate");
            } else {
                podTemplate("spec.mq.nats.podTemplate", s.mq.nats.podTemplate, "nats", PodOverrides.NATS_VOLUMES,
                        PodOverrides.NATS_PATHS, false, p);
            }
        }
    }

    /** spec.comet.service's CEL rules and what no schema says about its values; spec.serviceAccount. */
    private static void serviceAndAccount(PubSubClusterSpec s, List<String> p) {
        CometSpec.ServiceSpec ss = s.comet == null ? null : s.comet.service;
        if (ss != null) {
            CometSpec.ServiceType type = ss.type == null ? CometSpec.ServiceType.ClusterIP : ss.type;
            if ((ss.loadBalancerClass != null || ss.loadBalancerSourceRanges != null)
                    && type != CometSpec.ServiceType.LoadBalancer) {
                p.add("spec." + CometSpec.LOAD_BALANCER_ONLY + " (type is " + type + ")");
            }
            if (ss.externalTrafficPolicy != null && type == CometSpec.ServiceType.ClusterIP) {
                p.add("spec." + CometSpec.TRAFFIC_POLICY_EXTERNAL + " (type is ClusterIP)");
            }
            if (ss.loadBalancerSourceRanges != null) {
                for (int i = 0; i < ss.loadBalancerSourceRanges.size(); i++) {
                    String cidr = ss.loadBalancerSourceRanges.get(i);
                    if (!KubeSyntax.isCidr(cidr)) {
                        p.add("spec.comet.service.loadBalancerSourceRanges[" + i + "] '" + shorten(cidr)
                                + "' is not a CIDR such as 203.0.113.0/24 or 2001:db8::/32");
                    }
                }
            }
            if (ss.loadBalancerClass != null && !KubeSyntax.isQualifiedName(ss.loadBalancerClass)) {
                p.add("spec.comet.service.loadBalancerClass '" + shorten(ss.loadBalancerClass)
                        + "' is not a label-style name (such as example.com/lb)");
            }
        }
        var sa = s.serviceAccount;
        if (sa != null) {
            if (sa.name != null && sa.annotations != null) {
                p.add("spec." + PubSubClusterSpec.SERVICE_ACCOUNT_EXCLUSIVE);
            }
            if (sa.name != null && !KubeSyntax.isDnsSubdomain(sa.name)) {
                p.add("spec.serviceAccount.name '" + shorten(sa.name) + "' is not a valid object name");
            }
            if (sa.annotations != null) {
                annotations("spec.serviceAccount.annotations", sa.annotations, p);
            }
        }
    }

    private static void spread(String at, TopologySpreadConstraint t, List<String> p) {
        if (t.getMaxSkew() == null || t.getMaxSkew() < 1) {
            p.add(at + ".maxSkew must be at least 1");
        }
        if (t.getTopologyKey() == null || !KubeSyntax.isQualifiedName(t.getTopologyKey())) {
            p.add(at + ".topologyKey '" + shorten(t.getTopologyKey()) + "' is not a valid label key");
        }
        if (!"DoNotSchedule".equals(t.getWhenUnsatisfiable()) && !"ScheduleAnyway".equals(t.getWhenUnsatisfiable())) {
            p.add(at + ".whenUnsatisfiable '" + shorten(t.getWhenUnsatisfiable())
                    + "' must be DoNotSchedule or ScheduleAnyway");
        }
        if (t.getLabelSelector() != null) {
            PlacementRules.selector(at + ".labelSelector", t.getLabelSelector(), p);
        }
    }

    private static void resources(String at, ResourceRequirements r, List<String> p) {
        Map<String, Quantity> requests = r.getRequests() == null ? Map.of() : r.getRequests();
        Map<String, Quantity> limits = r.getLimits() == null ? Map.of() : r.getLimits();
        quantities(at + ".requests", requests, p);
        quantities(at + ".limits", limits, p);
        requests.forEach((name, q) -> {
            Quantity limit = limits.get(name);
            BigDecimal req = amount(q);
            BigDecimal lim = amount(limit);
            if (req != null && lim != null && req.compareTo(lim) > 0) {
                p.add(at + ".requests." + name + " (" + q + ") exceeds " + at + ".limits." + name + " (" + limit + ")");
            }
        });
    }

    private static void quantities(String at, Map<String, Quantity> m, List<String> p) {
        m.forEach((name, q) -> {
            if (!STANDARD_RESOURCES.contains(name) && !name.startsWith("hugepages-")
                    && !(name.contains("/") && KubeSyntax.isQualifiedName(name))) {
                p.add(at + ": unknown resource '" + shorten(name) + "' (cpu, memory, ephemeral-storage, hugepages-*, "
                        + "or a domain-qualified extended resource)");
            }
            BigDecimal amount = amount(q);
            if (amount == null) {
                p.add(at + "." + shorten(name) + ": '" + shorten(String.valueOf(q))
                        + "' is not a quantity (such as 500m, 256Mi or 2)");
            } else if (amount.signum() < 0) {
                p.add(at + "." + name + ": " + q + " is negative");
            }
        });
    }

    /** The quantity's value, or null when it is not one. */
    private static BigDecimal amount(Quantity q) {
        if (q == null || q.getAmount() == null) {
            return null;
        }
        String text = q.getAmount() + (q.getFormat() == null ? "" : q.getFormat());
        if (!KubeSyntax.isQuantity(text)) {
            return null;
        }
        try {
            return q.getNumericalAmount();
        } catch (ArithmeticException | IllegalArgumentException e) {
            return null;
        }
    }

    private static void labels(String at, Map<String, String> labels, List<String> p) {
        labels.forEach((k, v) -> {
            if (!KubeSyntax.isQualifiedName(k)) {
                p.add(at + ": '" + shorten(k) + "' is not a valid label key");
            } else if (!KubeSyntax.isLabelValue(v)) {
                p.add(at + "." + k + ": '" + shorten(v) + "' is not a valid label value (at most 63 letters, digits, "
                        + "'-', '_' and '.', starting and ending with a letter or digit)");
            }
        });
    }

    private static void annotations(String at, Map<String, String> annotations, List<String> p) {
        annotations.keySet().stream().filter(k -> !KubeSyntax.isQualifiedName(k))
                .forEach(k -> p.add(at + ": '" + shorten(k) + "' is not a valid annotation key"));
        long bytes = KubeSyntax.annotationBytes(annotations);
        if (bytes > KubeSyntax.ANNOTATIONS_MAX_BYTES) {
            p.add(at + " total " + bytes + " bytes; the API server accepts at most " + KubeSyntax.ANNOTATIONS_MAX_BYTES);
        }
    }

    private static void toleration(String at, Toleration t, List<String> p) {
        String op = t.getOperator();
        if (op != null && !op.isEmpty() && !TOLERATION_OPERATORS.contains(op)) {
            p.add(at + ".operator '" + shorten(op) + "' must be Exists or Equal");
        }
        if ("Exists".equals(op) && t.getValue() != null && !t.getValue().isEmpty()) {
            p.add(at + ".value must be empty when operator is Exists");
        }
        if (t.getKey() != null && !t.getKey().isEmpty() && !KubeSyntax.isQualifiedName(t.getKey())) {
            p.add(at + ".key '" + shorten(t.getKey()) + "' is not a valid label key");
        }
        if ((t.getKey() == null || t.getKey().isEmpty()) && !"Exists".equals(op)) {
            p.add(at + ": an empty key needs operator Exists");
        }
        if (t.getValue() != null && !KubeSyntax.isLabelValue(t.getValue())) {
            p.add(at + ".value '" + shorten(t.getValue()) + "' is not a valid label value");
        }
        String effect = t.getEffect();
        if (effect != null && !effect.isEmpty() && !TAINT_EFFECTS.contains(effect)) {
            p.add(at + ".effect '" + shorten(effect) + "' must be NoSchedule, PreferNoSchedule or NoExecute");
        }
        if (t.getTolerationSeconds() != null && !"NoExecute".equals(effect)) {
            p.add(at + ".tolerationSeconds needs effect NoExecute");
        }
    }

    /** The CEL rules of spec.comet.limits and spec.logic.limits: a burst means nothing without its rate. */
    private static void limits(PubSubClusterSpec s, List<String> p) {
        CometSpec.Limits c = s.comet == null ? null : s.comet.limits;
        if (c != null) {
            if (c.connectBurst != null && c.connectsPerSecond != null && c.connectsPerSecond <= 0) {
                p.add("spec." + CometSpec.Limits.CONNECT_BURST_WITHOUT_RATE);
            }
            if (c.publishBurst != null && (c.publishesPerSecond == null || c.publishesPerSecond <= 0)) {
                p.add("spec." + CometSpec.Limits.PUBLISH_BURST_WITHOUT_RATE);
            }
            if (c.publishPerAddressBurst != null
                    && (c.publishesPerAddressPerSecond == null || c.publishesPerAddressPerSecond <= 0)) {
                p.add("spec." + CometSpec.Limits.ADDRESS_BURST_WITHOUT_RATE);
            }
        }
        LogicSpec.Limits l = s.logic == null ? null : s.logic.limits;
        if (l != null && l.pushBurst != null && (l.pushesPerSecond == null || l.pushesPerSecond <= 0)) {
            p.add("spec." + LogicSpec.Limits.PUSH_BURST_WITHOUT_RATE);
        }
    }

    /** The CEL rules of spec.delivery, and a blank pattern, which the broker refuses as it does an empty one. */
    private static void delivery(DeliverySpec d, List<String> p) {
        if (d.history != null) {
            Set<String> seen = new java.util.HashSet<>();
            Set<String> twice = new java.util.LinkedHashSet<>();
            for (int i = 0; i < d.history.size(); i++) {
                DeliverySpec.History h = d.history.get(i);
                String at = "spec.delivery.history[" + i + "]";
                if (h.pattern != null && h.pattern.isBlank()) {
                    p.add(at + ".pattern must not be blank (use * to match every room)");
                }
                if (h.pattern != null && !seen.add(h.pattern)) {
                    twice.add(h.pattern);
                }
                if (h.ttl != null && !Durations.isPositive(h.ttl)) {
                    p.add(at + "." + DeliverySpec.History.TTL_NOT_POSITIVE + ", got " + shorten(h.ttl));
                }
            }
            twice.forEach(pattern -> p.add("spec." + DeliverySpec.PATTERN_TWICE + ": '" + shorten(pattern) + "'"));
        }
        if (d.presence != null) {
            for (int i = 0; i < d.presence.size(); i++) {
                String pattern = d.presence.get(i);
                if (pattern == null || pattern.isEmpty() || pattern.length() > DeliverySpec.History.MAX_PATTERN_LENGTH) {
                    p.add("spec." + DeliverySpec.PRESENCE_PATTERN_LENGTH + " (delivery.presence[" + i + "])");
                } else if (pattern.isBlank()) {
                    p.add("spec.delivery.presence[" + i + "] must not be blank (use * to match every room)");
                }
            }
        }
        if (d.dedupe != null && d.dedupe.window != null && !Durations.isPositive(d.dedupe.window)) {
            p.add("spec." + DeliverySpec.Dedupe.WINDOW_NOT_POSITIVE + ", got " + shorten(d.dedupe.window));
        }
    }

    /** External host:port lists: the schema checks their shape, this their port range. */
    private static void addresses(PubSubClusterSpec s, List<String> p) {
        if (s.redis != null && s.redis.external != null && s.redis.external.address != null) {
            hostPort("spec.redis.external.address", s.redis.external.address, p);
        }
        if (s.mq != null && s.mq.kafka != null && s.mq.kafka.bootstrapServers != null) {
            for (String a : s.mq.kafka.bootstrapServers.split(",", -1)) {
                hostPort("spec.mq.kafka.bootstrapServers", a.trim(), p);
            }
        }
    }

    private static void hostPort(String at, String address, List<String> p) {
        int colon = address.lastIndexOf(':');
        String host = colon < 0 ? address : address.substring(0, colon);
        if (colon < 0 || host.isEmpty() || host.chars().anyMatch(ch -> ch <= ' ')) {
            p.add(at + ": '" + shorten(address) + "' is not host:port");
            return;
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            p.add(at + ": '" + shorten(address) + "' needs a port between 1 and 65535");
        }
    }

    private static void maxLength(String at, String value, int max, List<String> p) {
        if (value != null && value.length() > max) {
            p.add(at + " has " + value.length() + " characters; at most " + max + " are accepted");
        }
    }

    /** User values quoted in messages are cut short: a condition message must stay readable (and small). */
    static String shorten(String s) {
        return s == null || s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** Durations the schema checks for syntax only: renewBefore must leave room for a CA rotation's overlap. */
    private static void internalTls(dev.imcluster.operator.api.v1alpha1.TlsSpec.Internal internal, List<String> p) {
        InternalCertificates.Settings settings;
        try {
            settings = new InternalCertificates.Settings(
                    InternalCertificates.duration(internal.certificateLifetime == null
                            ? dev.imcluster.operator.api.v1alpha1.TlsSpec.DEFAULT_CERTIFICATE_LIFETIME
                            : internal.certificateLifetime),
                    InternalCertificates.duration(internal.renewBefore == null
                            ? dev.imcluster.operator.api.v1alpha1.TlsSpec.DEFAULT_RENEW_BEFORE : internal.renewBefore));
        } catch (ArithmeticException e) {
            p.add("spec.tls.internal: certificateLifetime or renewBefore is too long");
            return;
        }
        if (settings.renewBefore().compareTo(InternalCertificates.MIN_RENEW_BEFORE) < 0) {
            p.add("spec.tls.internal.renewBefore must be at least 5m (a CA rotation waits "
                    + InternalCertificates.PROPAGATION.toMinutes() + "m for every role to trust the new CA)");
        }
        if (settings.lifetime().compareTo(settings.renewBefore()) <= 0) {
            p.add("spec.tls.internal.certificateLifetime must be longer than renewBefore");
        }
    }
}
