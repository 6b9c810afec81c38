package dev.imcluster.broker.testinfra;

import kafka.server.BrokerServer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * An in-JVM KRaft Kafka: one node in combined mode (broker and controller) from kafka-test-common-runtime. The
 * broker can be shut down and started again: the test kit pre-binds its listener port and binds the same port
 * on restart, so clients reconnect to the same address (outage tests). The fault tests over broker roles use
 * {@link KafkaServerProcess} instead: a process of its own, on any address.
 */
public final class KafkaCluster implements AutoCloseable {
    private final KafkaClusterTestKit kit;

    private KafkaCluster(KafkaClusterTestKit kit) {
        this.kit = kit;
    }

    public static KafkaCluster start() {
        try {
            TestKitNodes nodes = new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build();
            KafkaClusterTestKit kit = new KafkaClusterTestKit.Builder(nodes)
                    .setConfigProp("group.initial.rebalance.delay.ms", "0")
                    .setConfigProp("offsets.topic.replication.factor", "1")
                    .setConfigProp("offsets.topic.num.partitions", "4")
                    .setConfigProp("transaction.state.log.replication.factor", "1")
                    .setConfigProp("transaction.state.log.min.isr", "1")
                    .setConfigProp("num.network.threads", "2")
                    .setConfigProp("num.io.threads", "2")
                    .setConfigProp("log.flush.interval.messages", "1") // a restart must not lose acked records
                    .build();
            KafkaCluster cluster = new KafkaCluster(kit);
            try {
                kit.format();
                kit.startup();
                kit.waitForReadyBrokers();
            } catch (Exception e) {
                cluster.close();
                throw e;
            }
            return cluster;
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the in-JVM Kafka: " + e, e);
        }
    }

    public String bootstrapServers() {
        return kit.bootstrapServers();
    }

    private BrokerServer broker() {
        return kit.brokers().values().iterator().next();
    }

    /** Stops the broker (the controller keeps running); its port refuses connections until {@link #startBroker}. */
    public void stopBroker() {
        BrokerServer broker = broker();
        broker.shutdown();
        broker.awaitShutdown();
    }

    public void startBroker() {
        broker().startup();
        try {
            kit.waitForReadyBrokers();
        } catch (Exception e) {
            throw new IllegalStateException("broker did not come back: " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            kit.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
