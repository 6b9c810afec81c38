package dev.imcluster.operator.model;

/** The broker's ports (its config defaults, goim's numbers) and the managed backends' ports. */
public final class Ports {
    public static final int COMET_TCP = 3101;
    public static final int COMET_WS = 3102;
    public static final int COMET_PUBSUB_GRPC = 3100;
    public static final int COMET_GRPC = 3109;
    public static final int LOGIC_HTTP = 3111;
    public static final int LOGIC_GRPC = 3119;
    public static final int ADMIN = 8080;
    public static final int REDIS = 6379;
    public static final int NATS = 4222;
    public static final int NATS_MONITOR = 8222;
    /** Routes between the managed NATS servers of a cluster. */
    public static final int NATS_CLUSTER = 6222;
    /** MQTT's registered port: the managed Mosquitto's listener and comet's MQTT listener. */
    public static final int MQTT = 1883;

    private Ports() {
    }
}
