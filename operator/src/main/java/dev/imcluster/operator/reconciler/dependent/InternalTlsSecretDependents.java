package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.InternalCertificates;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.Role;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.Updater;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

/**
 * The Secrets of spec.tls.internal: the cluster's CA and each role's certificate, as the reconciliation's
 * certificate plan ({@link ReconcileInputs#certificates()}, computed once from the Secrets as they are) says.
 * Updated in place on a rotation: the roles reload them from their volumes, with no restart.
 */
public final class InternalTlsSecretDependents {
    private InternalTlsSecretDependents() {
    }

    abstract static class Base extends KubernetesDependentResource<Secret, PubSubCluster>
            implements Creator<Secret, PubSubCluster>, Updater<Secret, PubSubCluster>, GarbageCollected<PubSubCluster> {
        Base() {
            super(Secret.class);
        }

        abstract String name(PubSubCluster primary);

        abstract Secret desired(PubSubCluster primary, InternalCertificates.Plan plan);

        @Override
        protected void addReferenceHandlingMetadata(Secret target, PubSubCluster primary) {
            super.addReferenceHandlingMetadata(target, primary);
            OwnerRefs.markController(target, primary);
        }

        @Override
        protected ResourceID targetSecondaryResourceID(PubSubCluster primary, Context<PubSubCluster> context) {
            return new ResourceID(name(primary), primary.getMetadata().getNamespace());
        }

        @Override
        protected Secret desired(PubSubCluster primary, Context<PubSubCluster> context) {
            return desired(primary, ReconcileInputs.of(context).certificates());
        }
    }

    /** {@code <cluster>-internal-ca}: ca.crt, ca.key (and previous.crt while a CA rotation overlaps). */
    public static class Ca extends Base {
        @Override
        String name(PubSubCluster primary) {
            return Names.internalCa(primary);
        }

        @Override
        Secret desired(PubSubCluster primary, InternalCertificates.Plan plan) {
            return InternalCertificates.caSecret(primary, plan);
        }
    }

    abstract static class RoleSecret extends Base {
        private final Role role;

        RoleSecret(Role role) {
            this.role = role;
        }

        @Override
        String name(PubSubCluster primary) {
            return Names.internalTls(primary, role);
        }

        @Override
        Secret desired(PubSubCluster primary, InternalCertificates.Plan plan) {
            return InternalCertificates.roleSecret(primary, role, plan);
        }
    }

    /** {@code <cluster>-comet-internal-tls}. */
    public static class Comet extends RoleSecret {
        public Comet() {
            super(Role.COMET);
        }
    }

    /** {@code <cluster>-logic-internal-tls}. */
    public static class Logic extends RoleSecret {
        public Logic() {
            super(Role.LOGIC);
        }
    }

    /** {@code <cluster>-job-internal-tls}. */
    public static class Job extends RoleSecret {
        public Job() {
            super(Role.JOB);
        }
    }
}
