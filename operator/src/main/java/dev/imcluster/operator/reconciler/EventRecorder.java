package dev.imcluster.operator.reconciler;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.UUID;

/**
 * Kubernetes Events on a PubSubCluster (core/v1, which every server version has). Only called on transitions, so
 * a steady cluster emits nothing. A failure to record is logged, never fatal.
 */
public final class EventRecorder {
    public static final String COMPONENT = "imcluster-operator";
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

    private final KubernetesClient client;

    public EventRecorder(KubernetesClient client) {
        this.client = client;
    }

    public void normal(PubSubCluster c, String reason, String message) {
        record(c, "Normal", reason, message);
    }

    public void warning(PubSubCluster c, String reason, String message) {
        record(c, "Warning", reason, message);
    }

    private void record(PubSubCluster c, String type, String reason, String message) {
        String now = Instant.now().toString();
        Event e = new EventBuilder()
                .withNewMetadata()
                    .withName(c.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 13))
                    .withNamespace(c.getMetadata().getNamespace())
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder()
                        .withApiVersion(c.getApiVersion()).withKind(c.getKind())
                        .withName(c.getMetadata().getName()).withNamespace(c.getMetadata().getNamespace())
                        .withUid(c.getMetadata().getUid()).withResourceVersion(c.getMetadata().getResourceVersion())
                        .build())
                .withType(type)
                .withReason(reason)
                .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
                .withFirstTimestamp(now)
                .withLastTimestamp(now)
                .withCount(1)
                .withNewSource().withComponent(COMPONENT).endSource()
                .withReportingComponent(COMPONENT)
                .build();
        try {
            client.v1().events().inNamespace(c.getMetadata().getNamespace()).resource(e).create();
            LOG.info("event type={} reason={} cluster={}/{} message=\"{}\"", type, reason,
                    c.getMetadata().getNamespace(), c.getMetadata().getName(), message);
        } catch (KubernetesClientException ex) {
            LOG.warn("could not record event reason={} cluster={}/{}: {}", reason, c.getMetadata().getNamespace(),
                    c.getMetadata().getName(), ex.getMessage());
        }
    }
}
