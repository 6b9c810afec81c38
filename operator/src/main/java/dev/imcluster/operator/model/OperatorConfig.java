package dev.imcluster.operator.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Operator-wide settings the model needs (images, labels). Read from the environment in production, built directly in
 * tests.
 *
 * @param brokerImage          image of comet, logic and job when spec.image is unset
 * @param redisImage           image of the managed Redis
 * @param natsImage            image of the managed NATS (must support {@code -js})
 * @param mosquittoImage       image of the managed Mosquitto (with {@code sh} and {@code mosquitto_passwd})
 * @param serviceMonitorLabels extra labels on every ServiceMonitor the operator creates (for example the label a
 *                             Prometheus selects ServiceMonitors by); never replace the operator's own labels
 */
public record OperatorConfig(String brokerImage, String redisImage, String natsImage, String mosquittoImage,
                             Map<String, String> serviceMonitorLabels) {

    public static final String DEFAULT_BROKER_IMAGE = "imcluster/broker:0.1.0";
    public static final String DEFAULT_REDIS_IMAGE = "redis:7.2-alpine";
    public static final String DEFAULT_NATS_IMAGE = "nats:2.10-alpine";
    public static final String DEFAULT_MOSQUITTO_IMAGE = "eclipse-mosquitto:2.0";
    /** A label key: an optional DNS-subdomain prefix and a name of up to 63 characters. */
    private static final Pattern LABEL_KEY = Pattern.compile("^([a-z0-9]([-a-z0-9]*[a-z0-9])?"
            + "(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$");
    private static final Pattern LABEL_VALUE = Pattern.compile("^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$");

    public OperatorConfig {
        serviceMonitorLabels = serviceMonitorLabels == null ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(serviceMonitorLabels));
    }

    public OperatorConfig(String brokerImage, String redisImage, String natsImage) {
        this(brokerImage, redisImage, natsImage, DEFAULT_MOSQUITTO_IMAGE, Map.of());
    }

    public static OperatorConfig defaults() {
        return new OperatorConfig(DEFAULT_BROKER_IMAGE, DEFAULT_REDIS_IMAGE, DEFAULT_NATS_IMAGE);
    }

    /**
     * IMCLUSTER_BROKER_IMAGE, IMCLUSTER_REDIS_IMAGE, IMCLUSTER_NATS_IMAGE, IMCLUSTER_MOSQUITTO_IMAGE,
     * IMCLUSTER_SERVICE_MONITOR_LABELS.
     */
    public static OperatorConfig fromEnv(Map<String, String> env) {
        return new OperatorConfig(
                env.getOrDefault("IMCLUSTER_BROKER_IMAGE", DEFAULT_BROKER_IMAGE),
                env.getOrDefault("IMCLUSTER_REDIS_IMAGE", DEFAULT_REDIS_IMAGE),
                env.getOrDefault("IMCLUSTER_NATS_IMAGE", DEFAULT_NATS_IMAGE),
                env.getOrDefault("IMCLUSTER_MOSQUITTO_IMAGE", DEFAULT_MOSQUITTO_IMAGE),
                labels("IMCLUSTER_SERVICE_MONITOR_LABELS", env.getOrDefault("IMCLUSTER_SERVICE_MONITOR_LABELS", "")));
    }

    /** {@code k=v,k2=v2} (blank: none); a malformed pair is an IllegalArgumentException naming the variable. */
    static Map<String, String> labels(String name, String spec) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (String pair : spec.split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair.trim() : pair.substring(0, eq).trim();
            String value = eq < 0 ? null : pair.substring(eq + 1).trim();
            if (value == null || !LABEL_KEY.matcher(key).matches() || key.length() > 316
                    || !LABEL_VALUE.matcher(value).matches()) {
                throw new IllegalArgumentException(name + " must be comma-separated key=value label pairs, got '"
                        + pair.trim() + "'");
            }
            labels.put(key, value);
        }
        return labels;
    }
}
