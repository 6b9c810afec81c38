package dev.imcluster.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.testing.Examples;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class ClusterGaugesTest {

    @Test
    void aGoneClustersSeriesLeaveTheRegistryAndTheOthersStay() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ClusterGauges gauges = new ClusterGauges(registry);
        PubSubCluster kept = Examples.load("quickstart.yaml");
        PubSubCluster gone = Examples.load("quickstart.yaml");
        gone.getMetadata().setName("gone");
        gauges.value(kept, "imcluster.operator.swap.phase.started", "d", "seconds").set(7);
        gauges.value(gone, "imcluster.operator.swap.phase.started", "d", "seconds").set(8);
        gauges.value(gone, "imcluster.operator.certificate.expiry", "d", "seconds", Tag.of("certificate", "ca"))
                .set(9);
        // The same series again: the same value holder, no second meter.
        gauges.value(kept, "imcluster.operator.swap.phase.started", "d", "seconds").set(10);
        assertThat(registry.find("imcluster.operator.swap.phase.started").gauges()).hasSize(2);

        gauges.retainOnly(id -> id.equals(ResourceID.fromResource(kept)));

        assertThat(registry.find("imcluster.operator.swap.phase.started").gauges()).singleElement()
                .satisfies(g -> {
                    assertThat(g.getId().getTag("cluster")).isEqualTo("quickstart");
                    assertThat(g.value()).isEqualTo(10);
                });
        assertThat(registry.find("imcluster.operator.certificate.expiry").gauges()).isEmpty();
        assertThat(gauges.clusters()).isEqualTo(1);
    }
}
