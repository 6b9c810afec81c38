package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.DeploymentModel;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.Role;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/** The Deployment of one role; a subclass per role because JOSDK instantiates dependents by class. */
public abstract class RoleDeploymentDependent extends NamedDependent<Deployment> {
    private final Role role;

    protected RoleDeploymentDependent(Role role) {
        super(Deployment.class);
        this.role = role;
    }

    @Override
    protected String objectName(PubSubCluster primary) {
        return Names.role(primary, role);
    }

    @Override
    protected Deployment desired(PubSubCluster primary, Context<PubSubCluster> context) {
        ReconcileInputs in = ReconcileInputs.of(context);
        Integer current = getSecondaryResource(primary, context)
                .map(d -> d.getSpec() == null ? null : d.getSpec().getReplicas()).orElse(null);
        Deployment d = DeploymentModel.desired(primary, role, in.config(), in.swap(), in.operator(),
                in.capabilities(), current);
        String image = in.images().get(role);
        if (image != null) { // held at the image it runs until the roles before it run the new one
            d.getSpec().getTemplate().getSpec().getContainers().stream()
                    .filter(c -> DeploymentModel.CONTAINER.equals(c.getName())).forEach(c -> c.setImage(image));
        }
        return d;
    }

    public static class Comet extends RoleDeploymentDependent {
        public Comet() {
            super(Role.COMET);
        }
    }

    public static class Logic extends RoleDeploymentDependent {
        public Logic() {
            super(Role.LOGIC);
        }
    }

    public static class Job extends RoleDeploymentDependent {
        public Job() {
            super(Role.JOB);
        }
    }
}
