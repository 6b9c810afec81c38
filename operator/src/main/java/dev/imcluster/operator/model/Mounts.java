package dev.imcluster.operator.model;

/** Where files land in broker pods; the rendered config refers to these paths. */
public final class Mounts {
    public static final String CONFIG_DIR = "/etc/imcluster";
    public static final String CONFIG_KEY = "broker.yaml";
    public static final String CONFIG_FILE = CONFIG_DIR + "/" + CONFIG_KEY;
    /** Secrets live outside the config mount: a read-only ConfigMap volume cannot hold nested mount points. */
    public static final String SECRETS_DIR = "/var/run/secrets/imcluster";
    public static final String AUTH_DIR = SECRETS_DIR + "/auth";
    public static final String KAFKA_DIR = SECRETS_DIR + "/kafka";
    public static final String MQTT_DIR = SECRETS_DIR + "/mqtt";
    public static final String TLS_DIR = SECRETS_DIR + "/tls";
    /** The internal token Secret, in every role. */
    public static final String INTERNAL_TOKEN_DIR = SECRETS_DIR + "/internal";
    /** The role's internal TLS Secret (tls.crt, tls.key, ca.crt), with spec.tls.internal. */
    public static final String INTERNAL_TLS_DIR = SECRETS_DIR + "/internal-tls";
    public static final String TMP_DIR = "/tmp";

    private Mounts() {
    }
}
