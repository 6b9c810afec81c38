package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.NetworkPolicySpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.testing.Examples;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

/** Every other object kind the model produces. */
class ObjectModelsTest {
    private static final PubSubCluster QUICK = Examples.load("quickstart.yaml");

    @Test
    void configMapHoldsTheRenderedConfig() {
        BrokerConfigRenderer.Rendered r = BrokerConfigRenderer.render(QUICK);
        ConfigMap cm = ConfigMapModel.desired(QUICK, r);
        assertThat(cm.getMetadata().getName()).isEqualTo("quickstart-config");
        assertThat(cm.getData()).containsEntry("broker.yaml", r.yaml()).hasSize(1);
    }

    @Test
    void aRoleWithConfigKeysOfItsOwnMountsItsOwnFileAtTheSamePath() {
        PubSubCluster c = Examples.copy(QUICK);
        c.getSpec().job.config = Examples.config("job: {pushTimeout: 3s}");
        BrokerConfigRenderer.Rendered r = BrokerConfigRenderer.render(c);
        assertThat(ConfigMapModel.desired(c, r).getData()).containsOnlyKeys("broker.yaml", "job.yaml")
                .containsEntry("job.yaml", r.yaml(Role.JOB));
        for (Role role : Role.values()) {
            var items = DeploymentModel.desired(c, role, r, OperatorConfig.defaults(), ApiCapabilities.current(), null)
                    .getSpec().getTemplate().getSpec().getVolumes().stream().filter(v -> v.getName().equals("config"))
                    .findFirst().orElseThrow().getConfigMap().getItems();
            assertThat(items).as(role.id()).singleElement().satisfies(item -> {
                assertThat(item.getKey()).isEqualTo(role == Role.JOB ? "job.yaml" : "broker.yaml");
                assertThat(item.getPath()).isEqualTo(Mounts.CONFIG_KEY);
            });
        }
    }

    @Test
    void cometServicesExposeClientPortsAndTheHeadlessOneTheInternalGrpc() {
        Service external = ServiceModel.cometExternal(QUICK);
        assertThat(external.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(external.getSpec().getPorts()).extracting(ServicePort::getName, ServicePort::getPort)
                .containsExactly(tuple("tcp", 3101), tuple("websocket", 3102), tuple("grpc", 3100));
        Service headless = ServiceModel.cometHeadless(QUICK);
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(headless.getSpec().getPorts()).extracting(ServicePort::getPort).contains(3109);
        assertThat(headless.getSpec().getSelector()).isEqualTo(Labels.selector(QUICK, "comet"));
        // job must keep reaching comets that turned unready (logic unreachable) while they hold clients
        assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
        assertThat(external.getSpec().getPublishNotReadyAddresses()).isNull();
        Service logic = ServiceModel.logic(QUICK);
        assertThat(logic.getSpec().getPorts()).extracting(ServicePort::getPort).containsExactly(3111, 3119);
        for (Service s : new Service[]{external, headless, logic, ServiceModel.metrics(QUICK), ServiceModel.redis(QUICK),
                ServiceModel.nats(QUICK)}) {
            assertThat(s.getSpec().getPorts()).as(s.getMetadata().getName()).allMatch(p -> "TCP".equals(p.getProtocol()));
        }
    }

    @Test
    void productionCometServiceIsALoadBalancerWithAnnotations() {
        Service s = ServiceModel.cometExternal(Examples.load("production.yaml"));
        assertThat(s.getSpec().getType()).isEqualTo("LoadBalancer");
        assertThat(s.getMetadata().getAnnotations()).containsKey("service.beta.kubernetes.io/aws-load-balancer-type");
    }

    @Test
    void metricsServiceSelectsBrokerPodsOnly() {
        Service s = ServiceModel.metrics(QUICK);
        assertThat(s.getSpec().getSelector()).isEqualTo(Map.of(Labels.NAME, "imcluster", Labels.INSTANCE, "quickstart"));
        assertThat(Labels.selector(QUICK, "redis")).containsEntry(Labels.NAME, "redis");
    }

    @Test
    void onePdbPerRoleInBothApiVersions() {
        Map<Role, PodDisruptionBudget> v1 = PdbModel.v1(Examples.load("production.yaml"));
        assertThat(v1).hasSize(3);
        assertThat(v1.get(Role.COMET).getMetadata().getName()).isEqualTo("im-prod-comet");
        assertThat(v1.get(Role.COMET).getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(v1.get(Role.COMET).getSpec().getSelector().getMatchLabels()).containsEntry(Labels.COMPONENT, "comet");
        var beta = PdbModel.v1beta1(QUICK);
        assertThat(beta.get(Role.JOB).getApiVersion()).isEqualTo("policy/v1beta1");
        assertThat(v1.get(Role.JOB).getApiVersion()).isEqualTo("policy/v1");
    }

    @Test
    void serviceAccountMountsNoToken() {
        ServiceAccount sa = ServiceAccountModel.desired(QUICK);
        assertThat(sa.getMetadata().getName()).isEqualTo("quickstart-broker");
        assertThat(sa.getAutomountServiceAccountToken()).isFalse();
    }

    @Test
    void managedRedisKeepsItsPasswordOutOfTheCommandLine() {
        String pw = RedisModel.newPassword(new SecureRandom());
        assertThat(pw).hasSize(48);
        Secret secret = RedisModel.passwordSecret(QUICK, pw);
        assertThat(secret.getStringData()).containsEntry("password", pw)
                .containsEntry("redis.conf", "requirepass " + pw + "\n");
        StatefulSet ss = RedisModel.statefulSet(QUICK, OperatorConfig.defaults());
        var c = ss.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getImage()).isEqualTo(OperatorConfig.DEFAULT_REDIS_IMAGE);
        assertThat(String.join(" ", c.getArgs())).doesNotContain(pw).startsWith("/etc/redis/redis.conf");
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(ss.getSpec().getVolumeClaimTemplates()).isEmpty();
        assertThat(RedisModel.managed(QUICK)).isTrue();
        assertThat(RedisModel.managed(Examples.load("production.yaml"))).isFalse();
    }

    @Test
    void managedNatsRunsJetStreamWithAVolume() {
        PubSubCluster c = Examples.load("nats.yaml");
        StatefulSet ss = NatsModel.statefulSet(c, OperatorConfig.defaults());
        assertThat(ss.getMetadata().getName()).isEqualTo("nats-im-nats");
        assertThat(ss.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()).contains("-js");
        assertThat(ss.getSpec().getVolumeClaimTemplates()).hasSize(1);
        assertThat(ss.getSpec().getVolumeClaimTemplates().get(0).getSpec().getResources().getRequests().get("storage")
                .toString()).isEqualTo("1Gi");
        assertThat(NatsModel.managed(c)).isTrue();
        assertThat(NatsModel.managed(QUICK)).isFalse();
    }

    /** A JetStream cluster grows (1 -> 3 -> 5) but never shrinks in place: the spec is refused, naming both sizes. */
    @Test
    void aManagedNatsClusterAskedToShrinkIsRefused() {
        PubSubCluster c = Examples.copy(Examples.load("nats.yaml"));
        c.getSpec().mq.nats.replicas = 3;
        StatefulSet three = NatsModel.statefulSet(c, OperatorConfig.defaults());
        assertThat(NatsModel.shrinkProblem(c, three)).isEmpty();
        c.getSpec().mq.nats.replicas = 5;
        assertThat(NatsModel.shrinkProblem(c, three)).as("growing").isEmpty();
        c.getSpec().mq.nats.replicas = null;
        assertThat(NatsModel.shrinkProblem(c, three)).hasValue("spec.mq.nats.replicas cannot go from 3 to 1: a "
                + "JetStream cluster does not shrink in place (its meta group keeps the removed servers as peers, so "
                + "they would stay counted in its quorum); set it back to 3");
        assertThat(NatsModel.shrinkProblem(c, null)).as("nothing running yet").isEmpty();
        assertThat(NatsModel.shrinkProblem(QUICK, three)).as("not a managed NATS").isEmpty();
    }

    /** replicas: 3 makes a JetStream cluster: named servers routing through a headless Service, the stream on R3. */
    @Test
    void aManagedNatsOfThreeIsAJetStreamClusterWithTheStreamOnThreeServers() {
        PubSubCluster c = Examples.copy(Examples.load("nats.yaml"));
        c.getMetadata().setNamespace("im");
        c.getSpec().mq.nats.replicas = 3;
        StatefulSet ss = NatsModel.statefulSet(c, OperatorConfig.defaults());
        assertThat(ss.getSpec().getReplicas()).isEqualTo(3);
        assertThat(ss.getSpec().getPodManagementPolicy()).as("one server after the other: each finds the ones before")
                .isNull();
        var container = ss.getSpec().getTemplate().getSpec().getContainers().get(0);
        String ns = c.getMetadata().getNamespace();
        assertThat(String.join(" ", container.getArgs())).contains("--name $(POD_NAME) --cluster_name nats-im-nats "
                + "--cluster nats://$(POD_IP):6222 --routes nats://nats-im-nats-0.nats-im-nats-cluster." + ns
                + ".svc:6222,nats://nats-im-nats-1.nats-im-nats-cluster." + ns + ".svc:6222,"
                + "nats://nats-im-nats-2.nats-im-nats-cluster." + ns + ".svc:6222");
        assertThat(ss.getSpec().getServiceName()).as("pods get DNS names in the headless Service")
                .isEqualTo("nats-im-nats-cluster");
        StatefulSet single = NatsModel.statefulSet(Examples.load("nats.yaml"), OperatorConfig.defaults());
        assertThat(single.getSpec().getServiceName()).isEqualTo("nats-im-nats");
        assertThat(NatsModel.mustRecreate(single, ss)).as("serviceName is immutable: 1 -> 3 recreates").isTrue();
        assertThat(NatsModel.mustRecreate(ss, ss)).isFalse();
        assertThat(container.getEnv()).filteredOn(e -> e.getValueFrom() != null)
                .extracting(e -> e.getName() + "=" + e.getValueFrom().getFieldRef().getFieldPath())
                .contains("POD_NAME=metadata.name", "POD_IP=status.podIP");
        assertThat(container.getPorts()).extracting(p -> p.getName() + ":" + p.getContainerPort()).contains("cluster:6222");

        Service routes = ServiceModel.natsCluster(c);
        assertThat(routes.getMetadata().getName()).isEqualTo("nats-im-nats-cluster");
        assertThat(routes.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(routes.getSpec().getPublishNotReadyAddresses()).isTrue();

        assertThat(BrokerConfigRenderer.render(c).yaml()).contains("replicas: 3");
        assertThat(BrokerConfigRenderer.render(Examples.load("nats.yaml")).yaml()).doesNotContain("replicas:");

        c.getSpec().networkPolicy = new NetworkPolicySpec();
        c.getSpec().networkPolicy.enabled = true;
        var nats = NetworkPolicyModel.desired(c).get("nats");
        assertThat(nats.getSpec().getIngress()).anySatisfy(r -> assertThat(r.getPorts())
                .extracting(p -> p.getPort().getIntVal()).containsExactly(6222));

        assertThat(String.join(" ", single.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()))
                .doesNotContain("--cluster");
    }

    @Test
    void networkPoliciesOpenClientPortsAndLimitInternalOnes() {
        PubSubCluster c = Examples.copy(QUICK);
        c.getSpec().networkPolicy = new NetworkPolicySpec();
        c.getSpec().networkPolicy.enabled = true;
        Map<String, NetworkPolicy> p = NetworkPolicyModel.desired(c);
        assertThat(p).containsOnlyKeys("comet", "logic", "job", "redis");
        NetworkPolicy comet = p.get("comet");
        assertThat(comet.getSpec().getIngress()).hasSize(2);
        var internal = comet.getSpec().getIngress().get(1);
        assertThat(internal.getPorts().get(0).getPort().getIntVal()).isEqualTo(3109);
        assertThat(internal.getFrom().get(0).getPodSelector().getMatchLabels()).containsEntry(Labels.COMPONENT, "job");
        assertThat(p.get("redis").getSpec().getIngress().get(0).getFrom()).hasSize(2);
    }

    @Test
    void serviceMonitorScrapesTheAdminPort() {
        GenericKubernetesResource sm = ServiceMonitorModel.desired(QUICK);
        assertThat(sm.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(sm.getKind()).isEqualTo("ServiceMonitor");
        assertThat(sm.getAdditionalProperties().get("spec").toString()).contains("port=admin");
        assertThat(((Map<?, ?>) sm.getAdditionalProperties().get("spec")).get("podTargetLabels"))
                .isEqualTo(java.util.List.of(Labels.INSTANCE, Labels.COMPONENT)); // the dashboard's cluster filter
    }

    @Test
    void serviceMonitorCarriesTheOperatorsExtraLabelsButKeepsItsOwn() {
        Map<String, String> own = ServiceMonitorModel.desired(QUICK).getMetadata().getLabels();
        Map<String, String> extra = new java.util.HashMap<>(Map.of("release", "kps"));
        own.keySet().forEach(k -> extra.put(k, "overridden"));
        GenericKubernetesResource sm = ServiceMonitorModel.desired(QUICK, extra);
        assertThat(sm.getMetadata().getLabels()).containsEntry("release", "kps").containsAllEntriesOf(own);
        assertThat(sm.getAdditionalProperties().get("spec")).isEqualTo(
                ServiceMonitorModel.desired(QUICK).getAdditionalProperties().get("spec"));
    }

    @Test
    void endpointsAreTheInClusterServiceAddresses() {
        var e = EndpointsModel.of(QUICK);
        assertThat(e.tcp).isEqualTo("quickstart-comet.demo.svc:3101");
        assertThat(e.websocket).isEqualTo("ws://quickstart-comet.demo.svc:3102/sub");
        assertThat(e.grpc).isEqualTo("quickstart-comet.demo.svc:3100");
        assertThat(e.push).isEqualTo("http://quickstart-logic.demo.svc:3111");

        Service lb = ServiceModel.cometExternal(QUICK);
        assertThat(EndpointsModel.loadBalancerHost(lb)).isNull();
        lb.setStatus(new io.fabric8.kubernetes.api.model.ServiceStatusBuilder().withNewLoadBalancer()
                .addNewIngress().withIp("203.0.113.7").endIngress().endLoadBalancer().build());
        var external = EndpointsModel.of(QUICK, EndpointsModel.loadBalancerHost(lb));
        assertThat(external.tcp).isEqualTo("203.0.113.7:3101");
        assertThat(external.websocket).isEqualTo("ws://203.0.113.7:3102/sub");
        assertThat(external.push).as("the push API stays in-cluster").isEqualTo("http://quickstart-logic.demo.svc:3111");
    }
}
