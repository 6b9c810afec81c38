package dev.imcluster.operator;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OperatorSettingsTest {

    @Test
    void defaultsAreProductionOnes() {
        OperatorSettings s = OperatorSettings.fromEnv(Map.of());
        assertThat(s.namespaces()).isEmpty();
        assertThat(s.serverSideApply()).isTrue();
        assertThat(s.leaderElection()).isTrue();
        assertThat(s.leaseName()).isEqualTo("imcluster-operator");
        assertThat(s.httpPort()).isEqualTo(8080);
    }

    @Test
    void readsTheEnvironment() {
        OperatorSettings s = OperatorSettings.fromEnv(Map.of("IMCLUSTER_WATCH_NAMESPACES", "a, b,,",
                "IMCLUSTER_SSA", "false", "POD_NAMESPACE", "ops", "IMCLUSTER_BROKER_IMAGE", "reg/broker:1"));
        assertThat(s.namespaces()).containsExactlyInAnyOrder("a", "b");
        assertThat(s.serverSideApply()).isFalse();
        assertThat(s.leaseNamespace()).isEqualTo("ops");
        assertThat(s.model().brokerImage()).isEqualTo("reg/broker:1");
        assertThat(s.model().serviceMonitorLabels()).isEmpty();
    }

    @Test
    void readsServiceMonitorLabels() {
        OperatorSettings s = OperatorSettings.fromEnv(Map.of("IMCLUSTER_SERVICE_MONITOR_LABELS",
                "release=kps, example.com/team=im,"));
        assertThat(s.model().serviceMonitorLabels()).containsExactly(Map.entry("release", "kps"),
                Map.entry("example.com/team", "im"));
        assertThatThrownBy(() -> OperatorSettings.fromEnv(Map.of("IMCLUSTER_SERVICE_MONITOR_LABELS", "release")))
                .hasMessageContaining("IMCLUSTER_SERVICE_MONITOR_LABELS");
        assertThatThrownBy(() -> OperatorSettings.fromEnv(Map.of("IMCLUSTER_SERVICE_MONITOR_LABELS", "a=b c")))
                .hasMessageContaining("IMCLUSTER_SERVICE_MONITOR_LABELS");
    }

    @Test
    void badValuesAreNamed() {
        assertThatThrownBy(() -> OperatorSettings.fromEnv(Map.of("IMCLUSTER_SSA", "yes")))
                .hasMessageContaining("IMCLUSTER_SSA must be true or false");
        assertThatThrownBy(() -> OperatorSettings.fromEnv(Map.of("IMCLUSTER_HTTP_PORT", "x")))
                .hasMessageContaining("IMCLUSTER_HTTP_PORT must be an integer");
    }
}
