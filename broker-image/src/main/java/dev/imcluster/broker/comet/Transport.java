package dev.imcluster.broker.comet;

/** How a goim-protocol client is connected; the value is the metric tag. */
enum Transport {
    TCP("tcp"),
    WEBSOCKET("websocket");

    final String tag;

    Transport(String tag) {
        this.tag = tag;
    }
}
