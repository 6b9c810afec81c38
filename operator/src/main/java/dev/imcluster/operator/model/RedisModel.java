package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.RedisSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** A managed Redis: one-replica StatefulSet, Service, and a password Secret generated once. */
public final class RedisModel {
    public static final String CONF_KEY = "redis.conf";
    static final long UID = 999; // the redis user of the official image

    private RedisModel() {
    }

    /** True when the operator runs the session Redis (spec.redis.managed, or spec.redis unset). */
    public static boolean managed(PubSubCluster c) {
        RedisSpec r = c.getSpec().redis;
        return r == null || r.external == null;
    }

    public static String newPassword(SecureRandom random) {
        byte[] b = new byte[24];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * The password Secret. It also carries a redis.conf with requirepass, so that the password never shows in
     * the Redis process's command line.
     */
    public static Secret passwordSecret(PubSubCluster c, String password) {
        return new SecretBuilder()
                .withNewMetadata()
                    .withName(Names.redisPassword(c))
                    .withNamespace(c.getMetadata().getNamespace())
                    .withLabels(Labels.all(c, "redis"))
                .endMetadata()
                .withType("Opaque")
                .addToStringData(SecretRefs.REDIS_PASSWORD_KEY, password)
                .addToStringData(CONF_KEY, "requirepass " + password + "\n")
                .build();
    }

    public static StatefulSet statefulSet(PubSubCluster c, OperatorConfig op) {
        RedisSpec.Managed m = c.getSpec().redis == null ? null : c.getSpec().redis.managed;
        String storage = m == null ? null : m.storage;
        List<String> args = new ArrayList<>(List.of("/etc/redis/" + CONF_KEY, "--dir", "/data", "--port",
                String.valueOf(Ports.REDIS)));
        if (storage != null) {
            args.addAll(List.of("--appendonly", "yes"));
        } else {
            args.addAll(List.of("--appendonly", "no", "--save", ""));
        }
        Volume conf = new VolumeBuilder().withName("conf").withNewSecret().withSecretName(Names.redisPassword(c))
                .addNewItem().withKey(CONF_KEY).withPath(CONF_KEY).endItem().withDefaultMode(0440).endSecret().build();
        Container redis = new ContainerBuilder()
                .withName("redis")
                .withImage(op.redisImage())
                .withCommand("redis-server")
                .withArgs(args)
                .withPorts(DeploymentModel.port("redis", Ports.REDIS))
                .withNewReadinessProbe().withNewTcpSocket().withPort(new IntOrString("redis"))
                    .endTcpSocket().withPeriodSeconds(5).endReadinessProbe()
                .withLivenessProbe(ManagedStatefulSet.tcpLiveness("redis"))
                .addNewVolumeMount().withName("conf").withMountPath("/etc/redis").withReadOnly(true).endVolumeMount()
                .build();
        return ManagedStatefulSet.of(c, Names.redis(c), "redis", UID, storage, redis, List.of(conf),
                m == null ? null : m.podTemplate);
    }
}
