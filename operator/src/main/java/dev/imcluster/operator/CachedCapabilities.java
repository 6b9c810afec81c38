package dev.imcluster.operator;

import dev.imcluster.operator.model.ApiCapabilities;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * API discovery, cached for a while so that a ServiceMonitor CRD installed later is noticed without asking the API
 * server on every reconciliation. A failed refresh keeps the last answer.
 */
final class CachedCapabilities implements Supplier<ApiCapabilities> {
    private static final Logger LOG = LoggerFactory.getLogger(CachedCapabilities.class);

    private final KubernetesClient client;
    private final Duration ttl;
    private final Clock clock;
    private ApiCapabilities value;
    private Instant expires = Instant.MIN;

    CachedCapabilities(KubernetesClient client, Duration ttl, Clock clock) {
        this.client = client;
        this.ttl = ttl;
        this.clock = clock;
    }

    @Override
    public synchronized ApiCapabilities get() {
        Instant now = clock.instant();
        if (value == null || now.isAfter(expires)) {
            try {
                ApiCapabilities discovered = ApiCapabilities.discover(client);
                if (!discovered.equals(value)) {
                    LOG.info("api capabilities policyV1={} serviceMonitorCrd={}", discovered.policyV1(),
                            discovered.serviceMonitorCrd());
                }
                value = discovered;
            } catch (KubernetesClientException e) {
                if (value == null) {
                    throw e;
                }
                LOG.warn("api discovery failed, keeping the last answer: {}", e.getMessage());
            }
            expires = now.plus(ttl);
        }
        return value;
    }
}
