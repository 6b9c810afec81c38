package dev.imcluster.operator;

import dev.imcluster.operator.model.OperatorConfig;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The operator process's settings, from environment variables (documented in the README and the Helm chart).
 *
 * @param namespaces         namespaces to watch; empty means all (IMCLUSTER_WATCH_NAMESPACES, comma-separated)
 * @param serverSideApply    SSA for dependents and the primary's status (IMCLUSTER_SSA, default true; the fabric8
 *                           mock server does not implement SSA, so tests turn it off)
 * @param leaderElection     Lease-based leader election (IMCLUSTER_LEADER_ELECTION, default true)
 * @param leaseName          IMCLUSTER_LEASE_NAME (default imcluster-operator)
 * @param leaseNamespace     IMCLUSTER_LEASE_NAMESPACE, else POD_NAMESPACE; null means the client's namespace
 * @param httpPort           /metrics, /healthz, /readyz (IMCLUSTER_HTTP_PORT, default 8080; 0 picks a free port)
 * @param reconcileThreads   IMCLUSTER_RECONCILE_THREADS (default 10)
 * @param capabilitiesTtl    how long API discovery is cached (IMCLUSTER_CAPABILITIES_TTL_SECONDS, default 300)
 * @param model              images (IMCLUSTER_BROKER_IMAGE, IMCLUSTER_REDIS_IMAGE, IMCLUSTER_NATS_IMAGE,
 *                           IMCLUSTER_MOSQUITTO_IMAGE)
 */
public record OperatorSettings(Set<String> namespaces, boolean serverSideApply, boolean leaderElection,
                               String leaseName, String leaseNamespace, int httpPort, int reconcileThreads,
                               Duration capabilitiesTtl, OperatorConfig model) {

    public static OperatorSettings fromEnv(Map<String, String> env) {
        Set<String> namespaces = Arrays.stream(env.getOrDefault("IMCLUSTER_WATCH_NAMESPACES", "").split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());
        return new OperatorSettings(
                namespaces,
                bool(env, "IMCLUSTER_SSA", true),
                bool(env, "IMCLUSTER_LEADER_ELECTION", true),
                env.getOrDefault("IMCLUSTER_LEASE_NAME", "imcluster-operator"),
                env.getOrDefault("IMCLUSTER_LEASE_NAMESPACE", env.get("POD_NAMESPACE")),
                integer(env, "IMCLUSTER_HTTP_PORT", 8080),
                integer(env, "IMCLUSTER_RECONCILE_THREADS", 10),
                Duration.ofSeconds(integer(env, "IMCLUSTER_CAPABILITIES_TTL_SECONDS", 300)),
                OperatorConfig.fromEnv(env));
    }

    /** For tests on the mock server: no SSA, no leader election, a free HTTP port. */
    public static OperatorSettings forTests(Set<String> namespaces) {
        return new OperatorSettings(namespaces, false, false, "imcluster-operator", null, 0, 2,
                Duration.ofMinutes(5), OperatorConfig.defaults());
    }

    private static boolean bool(Map<String, String> env, String key, boolean dflt) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new IllegalArgumentException(key + " must be true or false, got '" + v + "'");
    }

    private static int integer(Map<String, String> env, String key, int dflt) {
        String v = env.get(key);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
        }
    }
}
