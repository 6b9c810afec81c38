package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.testing.Examples;
import dev.imcluster.operator.model.RestrictedPodSecurity;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every pod template the operator renders, for every example, meets the restricted Pod Security Standard. */
class PodSecurityStandardTest {

    static Iterable<String> examples() {
        return Examples.NAMES;
    }

    @ParameterizedTest
    @MethodSource("examples")
    void everyPodTemplateIsRestricted(String example) {
        PubSubCluster c = Examples.load(example);
        Map<String, PodSpec> pods = new LinkedHashMap<>();
        for (Role role : Role.values()) {
            pods.put(role.id(), DeploymentModel.desired(c, role, BrokerConfigRenderer.render(c), OperatorConfig.defaults(),
                    ApiCapabilities.current(), null).getSpec().getTemplate().getSpec());
        }
        if (RedisModel.managed(c)) {
            pods.put("redis", RedisModel.statefulSet(c, OperatorConfig.defaults()).getSpec().getTemplate().getSpec());
        }
        if (NatsModel.managed(c)) {
            pods.put("nats", NatsModel.statefulSet(c, OperatorConfig.defaults()).getSpec().getTemplate().getSpec());
        }
        assertThat(pods).isNotEmpty();
        pods.forEach((what, pod) -> assertThat(RestrictedPodSecurity.violations(pod)).as(example + " " + what).isEmpty());
    }

    @Test
    void theCheckerCatchesWhatTheStandardForbids() {
        PodSpec bad = new PodSpecBuilder()
                .withHostNetwork(true)
                .addNewVolume().withName("host").withNewHostPath().withPath("/").endHostPath().endVolume()
                .addNewContainer().withName("c")
                    .withNewSecurityContext().withPrivileged(true).withNewCapabilities().withAdd("SYS_ADMIN")
                    .endCapabilities().endSecurityContext()
                    .addNewPort().withContainerPort(80).withHostPort(80).endPort()
                .endContainer()
                .build();
        assertThat(RestrictedPodSecurity.violations(bad)).containsExactlyInAnyOrder(
                "hostNetwork", "volume host of type hostPath", "container c: privileged",
                "container c: allowPrivilegeEscalation is not false", "container c: runAsNonRoot is not true",
                "container c: seccompProfile is not RuntimeDefault or Localhost",
                "container c: capabilities do not drop ALL", "container c: capabilities add [SYS_ADMIN]",
                "container c: hostPort 80");
    }
}
