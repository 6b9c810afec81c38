package dev.imcluster.operator.model;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.ConfigLoader;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.NetworkPolicySpec;
import dev.imcluster.operator.api.v1alpha1.PodTemplateOverrides;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import dev.imcluster.operator.model.SwapState.Phase;
import dev.imcluster.operator.testing.Examples;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** spec.mq.backend mqtt (external and managed Mosquitto) and spec.comet.mqtt, rendered without a cluster. */
class MqttModelTest {
    static final PubSubCluster MANAGED = Examples.load("mqtt.yaml");
    static final PubSubCluster QUICK = Examples.load("quickstart.yaml");

    static PubSubCluster external(String url) {
        PubSubCluster c = Examples.copy(QUICK);
        c.getSpec().mq.backend = MqSpec.Backend.mqtt;
        c.getSpec().mq.mqtt = new MqSpec.MqttSpec();
        c.getSpec().mq.mqtt.url = url;
        return c;
    }

    /** The config the broker of {@code role} runs with: the file plus the role's env, through the broker's loader. */
    static BrokerConfig effective(BrokerConfigRenderer.Rendered r, Role role) {
        Map<String, String> env = new HashMap<>(r.env(role));
        env.put("IMCLUSTER__LOGIC__AUTH__MODE", "goim");
        env.put(DeploymentModel.MQTT_USERNAME_ENV, "from-the-secret");
        return ConfigLoader.parse(r.yaml(role), env);
    }

    static Container mosquitto(PubSubCluster c) {
        return MqttModel.statefulSet(c, OperatorConfig.defaults()).getSpec().getTemplate().getSpec().getContainers()
                .get(0);
    }

    static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst().orElse(null);
    }

    @Test
    void managedMosquittoPersistsOnItsVolumeAndAdmitsOnlyTheSecretsUser() {
        StatefulSet ss = MqttModel.statefulSet(MANAGED, OperatorConfig.defaults());
        assertThat(ss.getMetadata().getName()).isEqualTo("mqtt-im-mqtt");
        assertThat(ss.getSpec().getVolumeClaimTemplates()).singleElement().satisfies(pvc -> assertThat(
                pvc.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("1Gi"));
        Container m = mosquitto(MANAGED);
        assertThat(m.getImage()).isEqualTo(OperatorConfig.DEFAULT_MOSQUITTO_IMAGE);
        assertThat(m.getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("mqtt");
            assertThat(p.getContainerPort()).isEqualTo(1883);
        });
        assertThat(m.getReadinessProbe().getTcpSocket().getPort()).isEqualTo(new IntOrString("mqtt"));
        assertThat(m.getVolumeMounts()).extracting(v -> v.getMountPath()).contains("/data", "/run/mosquitto");
        assertThat(ss.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsUser()).isEqualTo(1883L);

        String conf = env(m, MqttModel.CONF_ENV);
        assertThat(conf.lines()).contains("listener 1883", "persistence true", "persistence_location /data/",
                "max_queued_messages 1000000", "max_inflight_messages 1024", "allow_anonymous false",
                "password_file /run/mosquitto/passwd");
        // The password reaches the pod only from the Secret, and is hashed by mosquitto_passwd, never an argument.
        assertThat(m.getEnv()).filteredOn(e -> e.getName().startsWith("MQTT_")).allSatisfy(e -> {
            assertThat(e.getValue()).isNull();
            assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("im-mqtt");
        }).hasSize(2);
        assertThat(String.join(" ", m.getCommand())).contains("mosquitto_passwd -U", "unset MQTT_PASSWORD",
                "exec mosquitto -c /run/mosquitto/mosquitto.conf").doesNotContain("-b ");
    }

    @Test
    void withoutCredentialsTheManagedMosquittoIsAnonymousBehindItsNetworkPolicy() {
        PubSubCluster c = Examples.copy(MANAGED);
        c.getSpec().mq.mqtt.authSecretRef = null;
        c.getSpec().mq.mqtt.storage = null;
        Container m = mosquitto(c);
        assertThat(env(m, MqttModel.CONF_ENV).lines()).contains("allow_anonymous true")
                .noneMatch(l -> l.startsWith("password_file"));
        assertThat(m.getEnv()).noneMatch(e -> e.getName().startsWith("MQTT_"));
        assertThat(MqttModel.statefulSet(c, OperatorConfig.defaults()).getSpec().getVolumeClaimTemplates()).isEmpty();

        c.getSpec().networkPolicy = new NetworkPolicySpec();
        c.getSpec().networkPolicy.enabled = true;
        NetworkPolicy np = NetworkPolicyModel.desired(c).get("mqtt");
        assertThat(np.getSpec().getPodSelector().getMatchLabels()).isEqualTo(Labels.selector(c, "mqtt"));
        assertThat(np.getSpec().getIngress()).singleElement().satisfies(rule -> {
            assertThat(rule.getPorts()).extracting(NetworkPolicyPort::getPort).containsExactly(new IntOrString(1883));
            assertThat(rule.getFrom()).extracting(f -> f.getPodSelector().getMatchLabels())
                    .containsExactlyInAnyOrder(Labels.selector(c, "logic"), Labels.selector(c, "job"));
        });
        assertThat(ServiceModel.mqtt(c).getSpec().getPorts()).extracting(ServicePort::getName, ServicePort::getPort)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("mqtt", 1883));
        assertThat(ServiceModel.mqtt(c).getSpec().getSelector()).isEqualTo(Labels.selector(c, "mqtt"));
    }

    @Test
    void logicAndJobConnectToTheManagedServiceWithTheMountedPassword() {
        BrokerConfigRenderer.Rendered r = BrokerConfigRenderer.render(MANAGED);
        for (Role role : List.of(Role.LOGIC, Role.JOB)) {
            MqConfig mq = effective(r, role).mq;
            assertThat(mq.backend).isEqualTo(MqConfig.Backend.mqtt);
            assertThat(mq.mqtt.url).isEqualTo("tcp://mqtt-im-mqtt:1883");
            assertThat(mq.mqtt.protocolVersion).isEqualTo(5);
            assertThat(mq.mqtt.topic).isEqualTo("goim/push");
            assertThat(mq.mqtt.clientIdPrefix).isEqualTo("imcluster");
            assertThat(mq.mqtt.keepalive).hasSeconds(10);
            assertThat(mq.mqtt.username).isEqualTo("from-the-secret");
            assertThat(mq.mqtt.passwordFile).isEqualTo(Mounts.MQTT_DIR + "/password");

            var pod = DeploymentModel.desired(MANAGED, role, r, OperatorConfig.defaults(), ApiCapabilities.current(),
                    null).getSpec().getTemplate().getSpec();
            assertThat(pod.getVolumes()).anySatisfy(v -> {
                assertThat(v.getName()).isEqualTo("mqtt");
                assertThat(v.getSecret().getSecretName()).isEqualTo("im-mqtt");
            });
            assertThat(pod.getContainers().get(0).getVolumeMounts())
                    .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo(Mounts.MQTT_DIR));
            assertThat(pod.getContainers().get(0).getEnv()).anySatisfy(e -> {
                assertThat(e.getName()).isEqualTo(DeploymentModel.MQTT_USERNAME_ENV);
                assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("username");
            });
        }
        assertThat(SecretRefs.userProvided(MANAGED)).extracting(SecretRefs.Ref::name, SecretRefs.Ref::key)
                .contains(org.assertj.core.groups.Tuple.tuple("im-mqtt", "username"),
                        org.assertj.core.groups.Tuple.tuple("im-mqtt", "password"));
    }

    @Test
    void anExternalBrokerIsUsedAsGivenAndNothingIsRun() {
        PubSubCluster c = external("ssl://mqtt.example:8883");
        c.getSpec().mq.mqtt.protocolVersion = 3;
        c.getSpec().mq.mqtt.topic = "im/push";
        c.getSpec().mq.mqtt.clientIdPrefix = "im-a";
        c.getSpec().mq.mqtt.keepalive = "1m";
        MqConfig mq = effective(BrokerConfigRenderer.render(c), Role.JOB).mq;
        assertThat(mq.mqtt.url).isEqualTo("ssl://mqtt.example:8883");
        assertThat(mq.mqtt.protocolVersion).isEqualTo(3);
        assertThat(mq.mqtt.topic).isEqualTo("im/push");
        assertThat(mq.mqtt.clientIdPrefix).isEqualTo("im-a");
        assertThat(mq.mqtt.keepalive).hasMinutes(1);
        assertThat(mq.mqtt.passwordFile).isNull();
        assertThat(MqttModel.runs(c)).isFalse();
        c.getSpec().networkPolicy = new NetworkPolicySpec();
        c.getSpec().networkPolicy.enabled = true;
        assertThat(NetworkPolicyModel.desired(c)).doesNotContainKey("mqtt");
        assertThat(SpecValidation.problems(c)).isEmpty();
    }

    @Test
    void cometsMqttListenerIsOffUnlessEnabledAndThenReachableOnItsServicePort() {
        BrokerConfigRenderer.Rendered quick = BrokerConfigRenderer.render(QUICK);
        assertThat(quick.yaml()).doesNotContain("mqtt"); // a cluster that does not use it renders (and rolls) as before
        assertThat(effective(quick, Role.COMET).comet.mqtt.enabled).isFalse();
        assertThat(ServiceModel.cometExternal(QUICK).getSpec().getPorts()).noneMatch(p -> p.getName().equals("mqtt"));

        BrokerConfigRenderer.Rendered on = BrokerConfigRenderer.render(MANAGED);
        assertThat(effective(on, Role.COMET).comet.mqtt.enabled).isTrue();
        assertThat(effective(on, Role.COMET).comet.mqtt.port).isEqualTo(1883);
        assertThat(ServiceModel.cometExternal(MANAGED).getSpec().getPorts())
                .anySatisfy(p -> {
                    assertThat(p.getName()).isEqualTo("mqtt");
                    assertThat(p.getPort()).isEqualTo(1883);
                    assertThat(p.getProtocol()).isEqualTo("TCP");
                });
        assertThat(ServiceModel.cometHeadless(MANAGED).getSpec().getPorts()).anySatisfy(p ->
                assertThat(p.getName()).isEqualTo("mqtt"));
        assertThat(ServiceModel.cometHeadless(QUICK).getSpec().getPorts()).noneMatch(p -> p.getName().equals("mqtt"));
        var comet = DeploymentModel.desired(MANAGED, Role.COMET, on, OperatorConfig.defaults(),
                ApiCapabilities.current(), null).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(comet.getPorts()).anySatisfy(p -> assertThat(p.getName()).isEqualTo("mqtt"));
        PubSubCluster c = Examples.copy(MANAGED);
        c.getSpec().networkPolicy = new NetworkPolicySpec();
        c.getSpec().networkPolicy.enabled = true;
        assertThat(NetworkPolicyModel.desired(c).get("comet").getSpec().getIngress().get(0).getPorts())
                .extracting(NetworkPolicyPort::getPort).contains(new IntOrString(1883));
        assertThat(on.hash(Role.COMET)).isNotEqualTo(quick.hash(Role.COMET));
    }

    private static PubSubCluster swapping(PubSubCluster c, String from, String to, Phase phase) {
        c.setStatus(new PubSubClusterStatus());
        c.getStatus().backend = new PubSubClusterStatus.BackendStatus();
        c.getStatus().backend.active = from;
        c.getStatus().backend.migration = new PubSubClusterStatus.Migration();
        c.getStatus().backend.migration.from = from;
        c.getStatus().backend.migration.to = to;
        c.getStatus().backend.migration.phase = phase.name();
        return c;
    }

    @Test
    void aSwapFromNatsToMqttRunsBothManagedBackendsAndJobConsumesBoth() {
        PubSubCluster c = Examples.copy(MANAGED);
        c.getSpec().mq.nats = new MqSpec.NatsSpec();
        c.getSpec().mq.nats.managed = true;
        swapping(c, "nats", "mqtt", Phase.DualConsume);
        BrokerConfigRenderer.Rendered r = BrokerConfigRenderer.render(c);
        BrokerConfig job = effective(r, Role.JOB);
        assertThat(job.mq.backend).isEqualTo(MqConfig.Backend.mqtt);
        assertThat(job.mq.previous.asBackend()).isEqualTo(MqConfig.Backend.nats);
        assertThat(job.mq.nats.url).isEqualTo("nats://mqtt-im-nats:4222");
        assertThat(job.mq.mqtt.url).isEqualTo("tcp://mqtt-im-mqtt:1883");
        assertThat(effective(r, Role.LOGIC).mq.backend).isEqualTo(MqConfig.Backend.nats);
        assertThat(MqttModel.runs(c)).isTrue();
        assertThat(NatsModel.runs(c)).isTrue();
        assertThat(SpecValidation.problems(c)).isEmpty();

        c.getStatus().backend.migration.phase = Phase.SwitchPublish.name();
        assertThat(effective(BrokerConfigRenderer.render(c), Role.LOGIC).mq.backend).isEqualTo(MqConfig.Backend.mqtt);
        c.getStatus().backend.migration.phase = "Complete";
        assertThat(NatsModel.runs(c)).isFalse();
        assertThat(MqttModel.runs(c)).isTrue();
    }

    @Test
    void aSwapAwayFromMqttKeepsMosquittoAndItsSettingsUntilComplete() {
        PubSubCluster c = Examples.copy(MANAGED);
        c.getSpec().mq.backend = MqSpec.Backend.redis;
        swapping(c, "mqtt", "redis", Phase.Drain);
        BrokerConfig job = effective(BrokerConfigRenderer.render(c), Role.JOB);
        assertThat(job.mq.backend).isEqualTo(MqConfig.Backend.redis);
        assertThat(job.mq.previous.asBackend()).isEqualTo(MqConfig.Backend.mqtt);
        assertThat(job.mq.mqtt.passwordFile).isEqualTo(Mounts.MQTT_DIR + "/password");
        assertThat(MqttModel.runs(c)).isTrue();
        assertThat(SecretRefs.mqttAuth(c, SwapState.of(c.getStatus()))).contains("im-mqtt");

        c.getSpec().mq.mqtt = null;
        assertThat(SpecValidation.problems(c)).anySatisfy(p -> assertThat(p).contains(
                "spec.mq.mqtt (url or managed: true) is still needed until the backend swap away from mqtt"));
    }

    @Test
    void badMqttSettingsAreRefusedWithTheFieldNamed() {
        assertThat(SpecValidation.problems(external("mqtt://m:1883")))
                .anySatisfy(p -> assertThat(p).contains("spec.mq.mqtt.url", "must start with tcp:// (plain) or ssl://"));
        assertThat(SpecValidation.problems(external("tcp://m:0")))
                .anySatisfy(p -> assertThat(p).contains("spec.mq.mqtt.url", "port between 1 and 65535"));
        assertThat(SpecValidation.problems(external("tcp://m")))
                .anySatisfy(p -> assertThat(p).contains("spec.mq.mqtt.url", "is not host:port"));
        assertThat(SpecValidation.problems(external("tcp://u:p@m:1883")))
                .anySatisfy(p -> assertThat(p).contains("without user, path or query"));
        assertThat(SpecValidation.problems(external("tcp://m:1883/"))).isEmpty();

        PubSubCluster both = external("tcp://m:1883");
        both.getSpec().mq.mqtt.managed = true;
        assertThat(SpecValidation.problems(both)).contains("spec.mq.mqtt.url and spec.mq.mqtt.managed are mutually exclusive");

        PubSubCluster neither = external(null);
        assertThat(SpecValidation.problems(neither))
                .contains("spec.mq.mqtt needs url, or managed: true, when spec.mq.backend is mqtt");

        PubSubCluster v4 = external("tcp://m:1883");
        v4.getSpec().mq.mqtt.protocolVersion = 4;
        assertThat(SpecValidation.problems(v4)).contains("spec.mq.mqtt.protocolVersion must be 5 or 3 (MQTT 3.1.1), got 4");

        PubSubCluster storage = external("tcp://m:1883");
        storage.getSpec().mq.mqtt.storage = "1Gi";
        storage.getSpec().mq.mqtt.podTemplate = new PodTemplateOverrides();
        assertThat(SpecValidation.problems(storage)).anySatisfy(p -> assertThat(p)
                .startsWith("spec.mq.mqtt.storage is only for a managed Mosquitto"))
                .anySatisfy(p -> assertThat(p).startsWith("spec.mq.mqtt.podTemplate is only for a managed Mosquitto"));
    }
}
