package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A managed Mosquitto (MQTT 3.1.1 and 5): one-replica StatefulSet and Service. Its mosquitto.conf travels in the
 * container's environment and is written to a scratch volume at start, so a change rolls the pod with no ConfigMap
 * hash to keep. With spec.mq.mqtt.authSecretRef the password file is hashed in the pod by Mosquitto's own
 * {@code mosquitto_passwd -U} (PBKDF2-SHA512, a fresh salt at each start): the operator never reads the Secret.
 * With spec.tls.internal its listener serves TLS only (1.2 or later), to clients with a certificate of the cluster's
 * CA, and still asks for the password when there is one.
 */
public final class MqttModel {
    static final long UID = 1883; // the mosquitto user of the official image
    static final String RUN = "run";
    static final String RUN_PATH = "/run/mosquitto";
    static final String CONF_ENV = "MOSQUITTO_CONF";
    static final String USERNAME_ENV = "MQTT_USERNAME";
    static final String PASSWORD_ENV = "MQTT_PASSWORD";
    /**
     * Messages queued per client session beyond those in flight: job's sessions hold what it has not consumed yet,
     * so the bound is as large as Redis Streams' default stream length (Mosquitto drops, and counts, above it).
     */
    static final int MAX_QUEUED_MESSAGES = 1_000_000;
    /** QoS 1 messages in flight per client: the broker's mq.maxInFlight default, so job's dispatcher stays fed. */
    static final int MAX_INFLIGHT_MESSAGES = 1024;
    /** Seconds between persistence saves: a crash (not a graceful stop, which saves) loses at most this window. */
    static final int AUTOSAVE_SECONDS = 5;

    /**
     * Writes the conf, hashes the password file if a user is set (printf is a shell builtin: the password never
     * shows in a process's arguments), drops the clear password from the environment and runs Mosquitto.
     */
    static final String START = String.join("\n",
            "set -e",
            "umask 077",
            "printf '%s\\n' \"$" + CONF_ENV + "\" > " + RUN_PATH + "/mosquitto.conf",
            "if [ -n \"${" + USERNAME_ENV + ":-}\" ]; then",
            "  printf '%s:%s\\n' \"$" + USERNAME_ENV + "\" \"$" + PASSWORD_ENV + "\" > " + RUN_PATH + "/passwd",
            "  mosquitto_passwd -U " + RUN_PATH + "/passwd",
            "fi",
            "unset " + PASSWORD_ENV,
            "exec mosquitto -c " + RUN_PATH + "/mosquitto.conf");

    /** mosquitto_sub's exit code when the CONNACK (MQTT 3.1.1) says not authorised. */
    static final int NOT_AUTHORISED = 5;

    private MqttModel() {
    }

    /**
     * A probe over TLS with the pod's own certificate: a bare TCP connect to the TLS listener makes Mosquitto log an
     * OpenSSL error each time. mosquitto_sub exits 0 once subscribed, or {@link #NOT_AUTHORISED} when a user is set
     * (the probe has no password: it stays out of the probe's arguments); any other code is a failed connection,
     * handshake or timeout. It dials loopback, which is not a name in the certificate: {@code --insecure} skips only
     * the host name check, the chain is still checked.
     */
    private static Probe tlsPing(int periodSeconds, int failureThreshold) {
        String sub = String.join(" ", "mosquitto_sub", "-h", "127.0.0.1", "-p", String.valueOf(Ports.MQTT),
                "-V", "mqttv311", "--insecure",
                "--cafile", ManagedStatefulSet.tlsFile(InternalCertificates.CA_CERT),
                "--cert", ManagedStatefulSet.tlsFile(InternalCertificates.TLS_CERT),
                "--key", ManagedStatefulSet.tlsFile(InternalCertificates.TLS_KEY),
                "-W", "2", "-E", "-t", "probe");
        return ManagedStatefulSet.tlsExec(List.of("sh", "-c",
                sub + "; rc=$?; [ $rc -eq 0 ] || [ $rc -eq " + NOT_AUTHORISED + " ]"), periodSeconds, failureThreshold);
    }

    /** True when spec.mq.mqtt.managed is set. */
    public static boolean managed(PubSubCluster c) {
        MqSpec mq = c.getSpec().mq;
        return mq != null && mq.mqtt != null && mq.mqtt.isManaged();
    }

    /** Whether the operator runs its Mosquitto now: managed, and mqtt is the backend or takes part in a swap. */
    public static boolean runs(PubSubCluster c) {
        return runs(c, SwapState.of(c.getStatus()));
    }

    /** {@link #runs(PubSubCluster)} for the swap state being rendered (null: none). */
    public static boolean runs(PubSubCluster c, SwapState swap) {
        return managed(c) && SwapState.uses(c, swap, MqSpec.Backend.mqtt);
    }

    /** Whether comet's MQTT listener is on (spec.comet.mqtt.enabled): its port, Service port and ingress. */
    public static boolean cometListener(PubSubCluster c) {
        return c.getSpec().comet != null && c.getSpec().comet.mqttEnabled();
    }

    /** Whether the managed Mosquitto serves TLS: spec.tls.internal on. */
    static boolean tls(PubSubCluster c) {
        return ManagedBackend.withTls(c).contains(ManagedBackend.MQTT);
    }

    /** The url logic and job connect to: the managed Service (ssl:// with internal TLS), or spec.mq.mqtt.url. */
    static String url(PubSubCluster c, MqSpec.MqttSpec m) {
        if (m != null && m.isManaged()) {
            return (tls(c) ? "ssl://" : "tcp://") + Names.mqtt(c) + ":" + Ports.MQTT;
        }
        return m == null ? null : m.url;
    }

    /** The managed Mosquitto's mosquitto.conf. */
    static String conf(PubSubCluster c) {
        boolean auth = c.getSpec().mq.mqtt.authSecretRef != null;
        List<String> lines = new ArrayList<>(List.of("listener " + Ports.MQTT));
        if (tls(c)) { // the settings after a listener line are that listener's: TLS only, a client certificate required
            lines.addAll(List.of(
                    "certfile " + ManagedStatefulSet.tlsFile(InternalCertificates.TLS_CERT),
                    "keyfile " + ManagedStatefulSet.tlsFile(InternalCertificates.TLS_KEY),
                    "cafile " + ManagedStatefulSet.tlsFile(InternalCertificates.CA_CERT),
                    "require_certificate true",
                    "tls_version tlsv1.2")); // the minimum (Mosquitto 2; in 1.6 the only version)
        }
        lines.addAll(List.of(
                "persistence true",
                "persistence_location " + ManagedStatefulSet.DATA_PATH + "/",
                "autosave_interval " + AUTOSAVE_SECONDS,
                "max_queued_messages " + MAX_QUEUED_MESSAGES,
                "max_inflight_messages " + MAX_INFLIGHT_MESSAGES,
                // A job pod's session outlives its pod; a replaced pod comes back under a new client id.
                "persistent_client_expiration 1d",
                "set_tcp_nodelay true",
                "log_dest stdout",
                "log_type error",
                "log_type warning",
                "log_type notice",
                "allow_anonymous " + !auth));
        if (auth) {
            lines.add("password_file " + RUN_PATH + "/passwd");
        }
        return String.join("\n", lines);
    }

    public static StatefulSet statefulSet(PubSubCluster c, OperatorConfig op) {
        return statefulSet(c, op, null);
    }

    /**
     * @param certificate the server certificate's Secret data (PEM by key) when the operator issues it: its hash
     *                    rolls the pod on a rotation, since Mosquitto reads its TLS files only at start
     */
    public static StatefulSet statefulSet(PubSubCluster c, OperatorConfig op, Map<String, String> certificate) {
        MqSpec.MqttSpec m = c.getSpec().mq.mqtt;
        boolean tls = tls(c);
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVarBuilder().withName(CONF_ENV).withValue(conf(c)).build());
        Optional.ofNullable(m.authSecretRef).ifPresent(a -> {
            env.add(secretEnv(USERNAME_ENV, a.name, MqSpec.MqttAuth.USERNAME_KEY));
            env.add(secretEnv(PASSWORD_ENV, a.name, MqSpec.MqttAuth.PASSWORD_KEY));
        });
        ContainerBuilder mosquitto = new ContainerBuilder()
                .withName("mosquitto")
                .withImage(op.mosquittoImage())
                .withCommand("sh", "-c", START)
                .withEnv(env)
                .withPorts(DeploymentModel.port("mqtt", Ports.MQTT))
                .withReadinessProbe(tls ? tlsPing(5, 3) : ManagedStatefulSet.tcpReadiness("mqtt"))
                .withLivenessProbe(tls ? tlsPing(10, 6) : ManagedStatefulSet.tcpLiveness("mqtt"))
                .addNewVolumeMount().withName(RUN).withMountPath(RUN_PATH).endVolumeMount();
        List<Volume> volumes = new ArrayList<>(List.of(
                new VolumeBuilder().withName(RUN).withNewEmptyDir().endEmptyDir().build()));
        if (tls) {
            mosquitto.addToVolumeMounts(ManagedStatefulSet.tlsMount());
            volumes.add(ManagedStatefulSet.tlsVolume(c, ManagedBackend.MQTT));
        }
        StatefulSet s = ManagedStatefulSet.of(c, Names.mqtt(c), "mqtt", UID, m.storage, mosquitto.build(), volumes,
                m.podTemplate);
        return tls ? ManagedStatefulSet.withCertificateHash(s, certificate) : s;
    }

    private static EnvVar secretEnv(String name, String secret, String key) {
        return new EnvVarBuilder().withName(name)
                .withNewValueFrom().withNewSecretKeyRef(key, secret, false).endValueFrom().build();
    }
}
