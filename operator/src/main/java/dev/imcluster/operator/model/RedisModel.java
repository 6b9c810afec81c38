package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.RedisSpec;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A managed Redis: one-replica StatefulSet, Service, and a password Secret generated once. With spec.tls.internal
 * it serves TLS only, to clients with a certificate of the cluster's CA, and still asks for the password.
 */
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

    /**
     * A probe over TLS with the pod's own certificate: a bare TCP probe would make Redis log a failed handshake
     * (at warning level) every few seconds. redis-cli exits 0 on any reply (NOAUTH too: the password stays out of
     * the probe) and non-zero when the connection or the handshake fails.
     */
    private static Probe tlsPing(int periodSeconds, int failureThreshold) {
        return ManagedStatefulSet.tlsExec(List.of("redis-cli", "--tls",
                "--cert", ManagedStatefulSet.tlsFile(InternalCertificates.TLS_CERT),
                "--key", ManagedStatefulSet.tlsFile(InternalCertificates.TLS_KEY),
                "--cacert", ManagedStatefulSet.tlsFile(InternalCertificates.CA_CERT),
                "-h", "127.0.0.1", "-p", String.valueOf(Ports.REDIS), "PING"), periodSeconds, failureThreshold);
    }

    public static StatefulSet statefulSet(PubSubCluster c, OperatorConfig op) {
        return statefulSet(c, op, null);
    }

    /**
     * @param certificate the server certificate's Secret data (PEM by key) when the operator issues it: its hash
     *                    rolls the pod on a rotation, since Redis reads its TLS files only at start
     */
    public static StatefulSet statefulSet(PubSubCluster c, OperatorConfig op, Map<String, String> certificate) {
        RedisSpec.Managed m = c.getSpec().redis == null ? null : c.getSpec().redis.managed;
        String storage = m == null ? null : m.storage;
        boolean tls = ManagedBackend.withTls(c).contains(ManagedBackend.REDIS);
        List<String> args = new ArrayList<>(List.of("/etc/redis/" + CONF_KEY, "--dir", "/data"));
        if (tls) { // TLS only, and only for clients with a certificate of the cluster's CA (every role has one)
            args.addAll(List.of("--port", "0", "--tls-port", String.valueOf(Ports.REDIS),
                    "--tls-cert-file", ManagedStatefulSet.tlsFile(InternalCertificates.TLS_CERT),
                    "--tls-key-file", ManagedStatefulSet.tlsFile(InternalCertificates.TLS_KEY),
                    "--tls-ca-cert-file", ManagedStatefulSet.tlsFile(InternalCertificates.CA_CERT),
                    "--tls-auth-clients", "yes"));
        } else {
            args.addAll(List.of("--port", String.valueOf(Ports.REDIS)));
        }
        if (storage != null) {
            args.addAll(List.of("--appendonly", "yes"));
        } else {
            args.addAll(List.of("--appendonly", "no", "--save", ""));
        }
        Volume conf = new VolumeBuilder().withName("conf").withNewSecret().withSecretName(Names.redisPassword(c))
                .addNewItem().withKey(CONF_KEY).withPath(CONF_KEY).endItem().withDefaultMode(0440).endSecret().build();
        ContainerBuilder redis = new ContainerBuilder()
                .withName("redis")
                .withImage(op.redisImage())
                .withCommand("redis-server")
                .withArgs(args)
                .withPorts(DeploymentModel.port("redis", Ports.REDIS))
                .withReadinessProbe(tls ? tlsPing(5, 3) : ManagedStatefulSet.tcpReadiness("redis"))
                .withLivenessProbe(tls ? tlsPing(10, 6) : ManagedStatefulSet.tcpLiveness("redis"))
                .addNewVolumeMount().withName("conf").withMountPath("/etc/redis").withReadOnly(true).endVolumeMount();
        List<Volume> volumes = new ArrayList<>(List.of(conf));
        if (tls) {
            redis.addToVolumeMounts(ManagedStatefulSet.tlsMount());
            volumes.add(ManagedStatefulSet.tlsVolume(c, ManagedBackend.REDIS));
        }
        StatefulSet s = ManagedStatefulSet.of(c, Names.redis(c), "redis", UID, storage, redis.build(), volumes,
                m == null ? null : m.podTemplate);
        return tls ? ManagedStatefulSet.withCertificateHash(s, certificate) : s;
    }
}
