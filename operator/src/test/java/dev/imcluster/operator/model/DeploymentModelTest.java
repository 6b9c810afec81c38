package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PodTemplateOverrides;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.testing.Examples;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DeploymentModelTest {

    private static Deployment deployment(PubSubCluster c, Role role) {
        return DeploymentModel.desired(c, role, BrokerConfigRenderer.render(c), OperatorConfig.defaults(),
                ApiCapabilities.current(), null);
    }

    private static Container container(Deployment d) {
        return d.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    @Test
    void runsTheRoleWithTheMountedConfig() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        Deployment d = deployment(c, Role.LOGIC);
        Container k = container(d);
        assertThat(d.getMetadata().getName()).isEqualTo("quickstart-logic");
        assertThat(d.getMetadata().getNamespace()).isEqualTo("demo");
        assertThat(k.getImage()).isEqualTo(OperatorConfig.DEFAULT_BROKER_IMAGE);
        assertThat(k.getCommand()).as("the image's entrypoint runs the broker").isEmpty();
        assertThat(k.getArgs()).containsExactly("logic", "--config", "/etc/imcluster/broker.yaml");
        assertThat(k.getVolumeMounts()).extracting(VolumeMount::getMountPath).contains("/etc/imcluster", "/tmp");
        assertThat(d.getSpec().getReplicas()).isEqualTo(1);
        assertThat(d.getSpec().getSelector().getMatchLabels()).containsEntry(Labels.COMPONENT, "logic")
                .containsEntry(Labels.INSTANCE, "quickstart");
        assertThat(d.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(
                d.getSpec().getSelector().getMatchLabels()).containsEntry(Labels.MANAGED_BY, "imcluster-operator");
    }

    @Test
    void cometPodsSitUnderTheHeadlessServiceSoJobResolvesTheirServerIds() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        assertThat(deployment(c, Role.COMET).getSpec().getTemplate().getSpec().getSubdomain())
                .isEqualTo(Names.cometHeadless(c));
        assertThat(deployment(c, Role.JOB).getSpec().getTemplate().getSpec().getSubdomain()).isNull();
    }

    @Test
    void envCarriesServerIdAndRedisPasswordFromSecrets() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        List<EnvVar> logicEnv = container(deployment(c, Role.LOGIC)).getEnv();
        EnvVar serverId = logicEnv.stream().filter(e -> e.getName().equals("IMCLUSTER__SERVERID")).findFirst().orElseThrow();
        assertThat(serverId.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
        EnvVar pw = logicEnv.stream().filter(e -> e.getName().equals("IMCLUSTER_REDIS_PASSWORD")).findFirst().orElseThrow();
        assertThat(pw.getValueFrom().getSecretKeyRef().getName()).isEqualTo("quickstart-redis-password");
        assertThat(pw.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("password");
        assertThat(container(deployment(c, Role.COMET)).getEnv()).extracting(EnvVar::getName)
                .doesNotContain("IMCLUSTER_REDIS_PASSWORD");
    }

    @Test
    void podIsHardened() {
        Deployment d = deployment(Examples.load("quickstart.yaml"), Role.JOB);
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
        assertThat(pod.getServiceAccountName()).isEqualTo("quickstart-broker");
        var sc = container(d).getSecurityContext();
        assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
        assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
        assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(pod.getVolumes()).anyMatch(v -> v.getName().equals("tmp") && v.getEmptyDir() != null);
    }

    @Test
    void probesHitTheAdminPortAndPortsAreNamedTcp() {
        Container comet = container(deployment(Examples.load("quickstart.yaml"), Role.COMET));
        assertThat(comet.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(comet.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(comet.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("admin");
        assertThat(comet.getPorts()).extracting(ContainerPort::getName, ContainerPort::getContainerPort)
                .contains(org.assertj.core.groups.Tuple.tuple("tcp", 3101),
                        org.assertj.core.groups.Tuple.tuple("websocket", 3102),
                        org.assertj.core.groups.Tuple.tuple("grpc", 3100),
                        org.assertj.core.groups.Tuple.tuple("internal-grpc", 3109),
                        org.assertj.core.groups.Tuple.tuple("admin", 8080));
        assertThat(comet.getPorts()).allMatch(p -> "TCP".equals(p.getProtocol()));
        assertThat(comet.getLifecycle().getPreStop().getExec().getCommand()).containsExactly("sleep", "5");
    }

    @Test
    void configHashAndPrometheusAnnotationsOnThePodTemplate() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        Map<String, String> ann = deployment(c, Role.JOB).getSpec().getTemplate().getMetadata().getAnnotations();
        assertThat(ann).containsEntry(BrokerConfigRenderer.CONFIG_HASH_ANNOTATION,
                BrokerConfigRenderer.render(c).hash(Role.JOB));
        assertThat(ann).containsEntry("prometheus.io/scrape", "true").containsEntry("prometheus.io/port", "8080");
        Deployment withSm = DeploymentModel.desired(c, Role.JOB, BrokerConfigRenderer.render(c),
                OperatorConfig.defaults(), new ApiCapabilities(true, true), null);
        assertThat(withSm.getSpec().getTemplate().getMetadata().getAnnotations()).doesNotContainKey("prometheus.io/scrape");
    }

    @Test
    void productionOverridesResourcesPlacementSecretsAndImage() {
        PubSubCluster c = Examples.load("production.yaml");
        Deployment comet = deployment(c, Role.COMET);
        PodSpec pod = comet.getSpec().getTemplate().getSpec();
        assertThat(comet.getSpec().getReplicas()).isEqualTo(6);
        assertThat(container(comet).getImage()).isEqualTo("imcluster/broker:0.1.0");
        assertThat(container(comet).getResources().getRequests().get("memory").toString()).isEqualTo("4Gi");
        assertThat(pod.getAffinity().getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()).hasSize(1);
        assertThat(pod.getTopologySpreadConstraints()).hasSize(1);
        assertThat(pod.getVolumes()).anyMatch(v -> v.getSecret() != null && v.getSecret().getSecretName().equals("im-tls"));

        Deployment logic = deployment(c, Role.LOGIC);
        assertThat(logic.getSpec().getTemplate().getSpec().getVolumes())
                .anyMatch(v -> v.getSecret() != null && v.getSecret().getSecretName().equals("im-jwt"))
                .anyMatch(v -> v.getSecret() != null && v.getSecret().getSecretName().equals("im-kafka"));
        assertThat(container(logic).getEnv()).anyMatch(e -> e.getName().equals(DeploymentModel.KAFKA_USERNAME_ENV)
                && e.getValueFrom().getSecretKeyRef().getName().equals("im-kafka"));
        // comet never uses the queue, but it checks the whole file at start: the SASL user name goes with the file.
        assertThat(container(comet).getEnv()).anyMatch(e -> e.getName().equals(DeploymentModel.KAFKA_USERNAME_ENV)
                && e.getValueFrom().getSecretKeyRef().getName().equals("im-kafka"));
        assertThat(container(logic).getEnv()).anyMatch(e -> e.getName().equals("IMCLUSTER_REDIS_PASSWORD")
                && e.getValueFrom().getSecretKeyRef().getName().equals("im-redis"));
    }

    @Test
    void everyRoleMountsTheInternalTokenAndCometAlsoTheJwtKeyAndTls() {
        PubSubCluster c = Examples.load("production.yaml");
        for (Role role : Role.values()) {
            Deployment d = deployment(c, role);
            assertThat(d.getSpec().getTemplate().getSpec().getVolumes()).as(role.id())
                    .anyMatch(v -> v.getName().equals("internal-token")
                            && v.getSecret().getSecretName().equals(SecretRefs.internalToken(c).name()));
            assertThat(container(d).getVolumeMounts()).as(role.id())
                    .anyMatch(m -> m.getMountPath().equals(Mounts.INTERNAL_TOKEN_DIR) && m.getReadOnly());
            boolean jwt = container(d).getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals(Mounts.AUTH_DIR));
            assertThat(jwt).as(role.id() + " mounts the JWT key").isEqualTo(role != Role.JOB);
            boolean tls = container(d).getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals(Mounts.TLS_DIR));
            assertThat(tls).as(role.id() + " mounts TLS").isEqualTo(role == Role.COMET);
        }
    }

    @Test
    void userLabelsAndTolerationsAreMergedButOperatorLabelsWin() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().comet.podTemplate = new PodTemplateOverrides();
        c.getSpec().comet.podTemplate.labels = Map.of("team", "im", Labels.INSTANCE, "hijack");
        c.getSpec().comet.podTemplate.tolerations = List.of(new Toleration("NoSchedule", "dedicated", "Equal", null, "im"));
        c.getSpec().comet.podTemplate.nodeSelector = Map.of("pool", "edge");
        Deployment d = deployment(c, Role.COMET);
        assertThat(d.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("team", "im")
                .containsEntry(Labels.INSTANCE, "quickstart");
        assertThat(d.getSpec().getTemplate().getSpec().getTolerations()).hasSize(1);
        assertThat(d.getSpec().getTemplate().getSpec().getNodeSelector()).containsEntry("pool", "edge");
    }

    @Test
    void externallyScaledKeepsTheLiveReplicas() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().comet.externallyScaled = true;
        Deployment d = DeploymentModel.desired(c, Role.COMET, BrokerConfigRenderer.render(c), OperatorConfig.defaults(),
                ApiCapabilities.current(), 9);
        assertThat(d.getSpec().getReplicas()).isEqualTo(9);
        Deployment created = deployment(c, Role.COMET);
        assertThat(created.getSpec().getReplicas()).isEqualTo(1);
    }
}
