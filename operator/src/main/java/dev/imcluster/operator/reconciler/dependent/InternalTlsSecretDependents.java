package dev.imcluster.operator.reconciler.dependent;

import dev.imcluster.operator.model.InternalTlsSecrets;
import dev.imcluster.operator.model.ManagedBackend;
import dev.imcluster.operator.model.Names;
import dev.imcluster.operator.model.Role;
import io.fabric8.kubernetes.api.model.Secret;

/**
 * The Secrets of spec.tls.internal: the cluster's CA, each role's certificate and each managed backend's, as the
 * reconciliation's certificate plan ({@link ReconcileInputs#certificates()}, computed once from the Secrets as they
 * are) says. Updated in place on a rotation: the roles reload them from their volumes, with no restart; a managed
 * backend's pod is rolled by the certificate hash on its pod template
 * ({@link dev.imcluster.operator.model.ManagedBackend#CERTIFICATE_HASH_ANNOTATION}).
 */
public final class InternalTlsSecretDependents {
    private InternalTlsSecretDependents() {
    }

    /** {@code <cluster>-internal-ca}: ca.crt, ca.key (and previous.crt while a CA rotation overlaps). */
    public static class Ca extends NamedDependent.Of<Secret> {
        public Ca() {
            super(Secret.class, Names::internalCa,
                    (p, context) -> InternalTlsSecrets.caSecret(p, ReconcileInputs.of(context).certificates()));
        }
    }

    abstract static class RoleSecret extends NamedDependent.Of<Secret> {
        RoleSecret(Role role) {
            super(Secret.class, p -> Names.internalTls(p, role), (p, context) ->
                    InternalTlsSecrets.roleSecret(p, role, ReconcileInputs.of(context).certificates()));
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

    abstract static class BackendSecret extends NamedDependent.Of<Secret> {
        BackendSecret(ManagedBackend backend) {
            super(Secret.class, p -> Names.internalTls(p, backend), (p, context) ->
                    InternalTlsSecrets.backendSecret(p, backend, ReconcileInputs.of(context).certificates()));
        }
    }

    /** {@code <cluster>-redis-internal-tls}: the managed Redis's server certificate. */
    public static class Redis extends BackendSecret {
        public Redis() {
            super(ManagedBackend.REDIS);
        }
    }

    /** {@code <cluster>-nats-internal-tls}: the managed NATS's server certificate. */
    public static class Nats extends BackendSecret {
        public Nats() {
            super(ManagedBackend.NATS);
        }
    }

    /** {@code <cluster>-mqtt-internal-tls}: the managed Mosquitto's server certificate. */
    public static class Mqtt extends BackendSecret {
        public Mqtt() {
            super(ManagedBackend.MQTT);
        }
    }
}
