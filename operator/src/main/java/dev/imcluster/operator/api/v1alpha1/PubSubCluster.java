package dev.imcluster.operator.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A goim-style IM / pub-sub cluster: comet (client edge), logic (push API, sessions) and job (queue consumer,
 * fan-out), their queue and their session Redis.
 *
 * <p>There is no scale subresource: a scale subresource exposes exactly one replicas path, and this resource has
 * three independently scaled roles. An HPA scales a role by targeting its Deployment instead (see the README);
 * the operator then must not fight it, which is why {@code replicas} may be left unset per role.
 */
@Group(PubSubCluster.GROUP)
@Version(PubSubCluster.VERSION)
@Kind("PubSubCluster")
@Plural("pubsubclusters")
@Singular("pubsubcluster")
@ShortNames("psc")
@Categories("imcluster")
@AdditionalPrinterColumn(name = "Ready", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Comets", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.comet.ready")
@AdditionalPrinterColumn(name = "Logic", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.logic.ready",
        priority = 1)
@AdditionalPrinterColumn(name = "Job", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.job.ready",
        priority = 1)
@AdditionalPrinterColumn(name = "Backend", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.backend.active")
@AdditionalPrinterColumn(name = "Phase", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.phase")
@AdditionalPrinterColumn(name = "Age", type = AdditionalPrinterColumn.Type.DATE, jsonPath = ".metadata.creationTimestamp")
public class PubSubCluster extends CustomResource<PubSubClusterSpec, PubSubClusterStatus> implements Namespaced {
    public static final String GROUP = "pubsub.imcluster.dev";
    public static final String VERSION = "v1alpha1";
    /** Annotation that pauses reconciliation of owned objects, like {@code spec.paused}. */
    public static final String PAUSED_ANNOTATION = GROUP + "/paused";

    @Override
    protected PubSubClusterSpec initSpec() {
        return new PubSubClusterSpec();
    }

    /** No status until the operator writes one (an empty one would make status patches start from "{}"). */
    @Override
    protected PubSubClusterStatus initStatus() {
        return null;
    }

    /** True when spec.paused or the paused annotation is set. */
    public boolean paused() {
        boolean annotated = getMetadata() != null && getMetadata().getAnnotations() != null
                && "true".equalsIgnoreCase(getMetadata().getAnnotations().get(PAUSED_ANNOTATION));
        return annotated || (getSpec() != null && Boolean.TRUE.equals(getSpec().paused));
    }
}
