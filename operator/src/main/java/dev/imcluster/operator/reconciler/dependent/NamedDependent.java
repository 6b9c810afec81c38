package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A created-and-updated dependent whose object name is known without computing the desired state, so finding the
 * live object among several of the same kind does not render anything.
 */
public abstract class NamedDependent<R extends HasMetadata> extends CRUDKubernetesDependentResource<R, PubSubCluster> {

    protected NamedDependent(Class<R> type) {
        super(type);
    }

    protected abstract String objectName(PubSubCluster primary);

    @Override
    protected void addReferenceHandlingMetadata(R target, PubSubCluster primary) {
        super.addReferenceHandlingMetadata(target, primary);
        OwnerRefs.markController(target, primary);
    }

    @Override
    protected ResourceID targetSecondaryResourceID(PubSubCluster primary, Context<PubSubCluster> context) {
        return new ResourceID(objectName(primary), primary.getMetadata().getNamespace());
    }

    /** A named dependent given by two functions, its name and its desired object (most are just that). */
    public abstract static class Of<R extends HasMetadata> extends NamedDependent<R> {
        private final Function<PubSubCluster, String> name;
        private final BiFunction<PubSubCluster, Context<PubSubCluster>, R> model;

        protected Of(Class<R> type, Function<PubSubCluster, String> name,
                     BiFunction<PubSubCluster, Context<PubSubCluster>, R> model) {
            super(type);
            this.name = name;
            this.model = model;
        }

        @Override
        protected String objectName(PubSubCluster primary) {
            return name.apply(primary);
        }

        @Override
        protected R desired(PubSubCluster primary, Context<PubSubCluster> context) {
            return model.apply(primary, context);
        }
    }
}
