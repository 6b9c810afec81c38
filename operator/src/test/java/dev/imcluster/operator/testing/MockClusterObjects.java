package dev.imcluster.operator.testing;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** What the operator tests create in, and read back from, the fabric8 mock API server. */
public final class MockClusterObjects {

    private MockClusterObjects() {
    }

    /** Creates an example in {@code ns} as a user would (no uid or generation yet), after {@code edit}. */
    public static PubSubCluster create(KubernetesClient client, String ns, String example, Consumer<PubSubCluster> edit) {
        PubSubCluster c = Examples.load(example);
        c.getMetadata().setNamespace(ns);
        c.getMetadata().setUid(null);
        c.getMetadata().setGeneration(null);
        edit.accept(c);
        return client.resource(c).create();
    }

    /** Every object of a kind the operator creates, in {@code ns}. */
    public static List<HasMetadata> ownedKinds(KubernetesClient client, String ns) {
        List<HasMetadata> all = new ArrayList<>();
        all.addAll(client.configMaps().inNamespace(ns).list().getItems());
        all.addAll(client.serviceAccounts().inNamespace(ns).list().getItems());
        all.addAll(client.apps().deployments().inNamespace(ns).list().getItems());
        all.addAll(client.services().inNamespace(ns).list().getItems());
        all.addAll(client.policy().v1().podDisruptionBudget().inNamespace(ns).list().getItems());
        all.addAll(client.apps().statefulSets().inNamespace(ns).list().getItems());
        all.addAll(client.secrets().inNamespace(ns).list().getItems());
        all.addAll(client.network().v1().networkPolicies().inNamespace(ns).list().getItems());
        return all;
    }
}
