package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The operator's gauges with one series per cluster (tags {@code namespace} and {@code cluster}), removed once
 * their cluster is gone: the reconciler has no Cleaner (that would put a finalizer on every cluster), so it
 * calls {@link #retainOnly} with the clusters its informer still holds.
 */
final class ClusterGauges {
    private final MeterRegistry registry;
    private final Map<ResourceID, Map<Tags, Series>> byCluster = new ConcurrentHashMap<>();

    private record Series(Gauge gauge, AtomicLong value) {
    }

    ClusterGauges(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * The value behind gauge {@code name} of this cluster with these extra tags, registered on first use; the
     * description and unit are those of the first registration.
     */
    AtomicLong value(PubSubCluster c, String name, String description, String baseUnit, Tag... extra) {
        ResourceID cluster = ResourceID.fromResource(c);
        Tags tags = Tags.of(extra);
        Map<Tags, Series> series = byCluster.computeIfAbsent(cluster, k -> new ConcurrentHashMap<>());
        return series.computeIfAbsent(tags.and("name", name), k -> {
            AtomicLong value = new AtomicLong();
            Gauge gauge = Gauge.builder(name, value, AtomicLong::get).description(description).baseUnit(baseUnit)
                    .tag("namespace", cluster.getNamespace().orElse("")).tag("cluster", cluster.getName())
                    .tags(tags).register(registry);
            return new Series(gauge, value);
        }).value();
    }

    /** Removes every series of the clusters for which {@code exists} is false. */
    void retainOnly(Predicate<ResourceID> exists) {
        byCluster.entrySet().removeIf(cluster -> {
            if (exists.test(cluster.getKey())) {
                return false;
            }
            cluster.getValue().values().forEach(s -> registry.remove(s.gauge()));
            return true;
        });
    }

    /** Clusters with at least one series (for tests). */
    int clusters() {
        return byCluster.size();
    }
}
