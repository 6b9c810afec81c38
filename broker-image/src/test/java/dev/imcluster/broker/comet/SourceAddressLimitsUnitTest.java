package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.broker.config.CometConfig;
import dev.imcluster.broker.security.RateLimiter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class SourceAddressLimitsUnitTest {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private SourceAddressLimits limits(CometConfig config) {
        return new SourceAddressLimits(config, new CometMetrics(meters, new Buckets(1)), meters,
                new RateLimiter("comet", config.publishRateLimit, meters));
    }

    @Test
    void anIpv6SourceIsItsSlash64AndAnIpv4SourceItsAddress() {
        assertThat(SourceAddressLimits.sourceOf(new InetSocketAddress("2001:db8:1:2:aaaa::1", 5)))
                .isEqualTo(SourceAddressLimits.sourceOf(new InetSocketAddress("2001:db8:1:2:bbbb::9", 6)))
                .endsWith("/64");
        assertThat(SourceAddressLimits.sourceOf(new InetSocketAddress("2001:db8:1:3::1", 5)))
                .isNotEqualTo(SourceAddressLimits.sourceOf(new InetSocketAddress("2001:db8:1:2::1", 5)));
        assertThat(SourceAddressLimits.sourceOf(new InetSocketAddress("10.1.2.3", 4000))).isEqualTo("10.1.2.3");
    }

    @Test
    void openCountsHoldOnlySourcesWithOpenConnections() {
        CometConfig config = new CometConfig();
        config.connectRateLimit.rate = 0;
        config.maxConnectionsPerAddress = 2;
        SourceAddressLimits limits = limits(config);
        InetSocketAddress a = new InetSocketAddress("10.0.0.1", 1);
        assertThat(limits.admit(a)).isNull();
        assertThat(limits.admit(new InetSocketAddress("10.0.0.1", 2))).isNull();
        assertThat(limits.admit(new InetSocketAddress("10.0.0.1", 3))).isEqualTo("per_address_limit");
        assertThat(limits.admit(new InetSocketAddress("10.0.0.2", 1))).isNull();
        limits.release(a);
        assertThat(limits.admit(a)).as("a released place is free again").isNull();
        for (int i = 0; i < 10_000; i++) {
            InetSocketAddress many = new InetSocketAddress("10.1." + (i / 250) + "." + (i % 250), 1);
            assertThat(limits.admit(many)).isNull();
            limits.release(many);
            assertThat(limits.openFrom(many)).isZero();
        }
        assertThat(limits.trackedSources()).as("only the two sources still open").isEqualTo(2);
        assertThat(meters.get("imcluster.comet.connections.refused").tag("reason", "per_address_limit").counter()
                .count()).isEqualTo(1);
    }
}
