package dev.imcluster.bench.cluster;

/**
 * Where a running imcluster is reached: logic's HTTP push API and gRPC (Publish), comet's goim TCP and gRPC
 * (Subscribe), and the admin port (/metrics) of the process holding comet; {@code pid} is that process's id
 * when it runs on this machine (for RSS and jcmd), else -1.
 */
public record BrokerEndpoints(String host, int logicHttp, int logicGrpc, int cometTcp, int cometPubSub,
                              int cometAdmin, long pid) {
}
