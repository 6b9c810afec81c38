package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

/** Prometheus integration. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MetricsSpec {
    /**
     * Not auto|true|false: an unquoted YAML true is a boolean and a string enum would reject it, which is a trap.
     */
    @JsonPropertyDescription("ServiceMonitor for the roles: auto (when the monitoring.coreos.com CRD exists; "
            + "otherwise prometheus.io annotations on the pods), enabled, or disabled.")
    @Default("auto")
    public ServiceMonitorMode serviceMonitor;

    public enum ServiceMonitorMode { auto, enabled, disabled }
}
