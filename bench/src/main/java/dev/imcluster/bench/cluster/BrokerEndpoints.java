package dev.imcluster.bench.cluster;

/**
 * Where a running imcluster is reached: logic's HTTP push API and gRPC (Publish), comet's goim TCP and gRPC
 * (Subscribe), and the admin port (/metrics) of the process holding comet; {@code pid} is that process's id
 * when it runs on this machine (for RSS and jcmd), else -1; {@code storePid} is the process of a store the broker
 * works through on every message (the Redis of {@code logic.sessionStore: redis}, which then holds history), whose
 * CPU is the broker's cost too, else -1; {@code cometMqtt} is comet's MQTT listener when the broker was started with
 * {@code comet.mqtt.enabled: true}, else -1.
 */
public record BrokerEndpoints(String host, int logicHttp, int logicGrpc, int cometTcp, int cometPubSub,
                              int cometAdmin, int cometMqtt, long pid, long storePid) {
    /** The same broker, with the store process whose CPU counts as its own. */
    public BrokerEndpoints withStorePid(long storePid) {
        return new BrokerEndpoints(host, logicHttp, logicGrpc, cometTcp, cometPubSub, cometAdmin, cometMqtt, pid,
                storePid);
    }

    /** The processes whose CPU a run reports as the server's. */
    public long[] serverPids() {
        return storePid > 0 ? new long[] {pid, storePid} : new long[] {pid};
    }
}
