package dev.imcluster.operator.model;

import java.util.Map;

/**
 * Operator-wide settings the model needs (images). Read from the environment in production, built directly in tests.
 *
 * @param brokerImage image of comet, logic and job when spec.image is unset
 * @param redisImage  image of the managed Redis
 * @param natsImage   image of the managed NATS (must support {@code -js})
 */
public record OperatorConfig(String brokerImage, String redisImage, String natsImage) {

    public static final String DEFAULT_BROKER_IMAGE = "imcluster/broker:0.1.0";
    public static final String DEFAULT_REDIS_IMAGE = "redis:7.2-alpine";
    public static final String DEFAULT_NATS_IMAGE = "nats:2.10-alpine";

    public static OperatorConfig defaults() {
        return new OperatorConfig(DEFAULT_BROKER_IMAGE, DEFAULT_REDIS_IMAGE, DEFAULT_NATS_IMAGE);
    }

    /** IMCLUSTER_BROKER_IMAGE, IMCLUSTER_REDIS_IMAGE, IMCLUSTER_NATS_IMAGE. */
    public static OperatorConfig fromEnv(Map<String, String> env) {
        return new OperatorConfig(
                env.getOrDefault("IMCLUSTER_BROKER_IMAGE", DEFAULT_BROKER_IMAGE),
                env.getOrDefault("IMCLUSTER_REDIS_IMAGE", DEFAULT_REDIS_IMAGE),
                env.getOrDefault("IMCLUSTER_NATS_IMAGE", DEFAULT_NATS_IMAGE));
    }
}
