package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PodTemplateOverrides;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterSpec;
import dev.imcluster.operator.testing.Examples;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The pod-level knobs of every pod template (roles, managed Redis and NATS), as rendered and as validated. */
class PodTemplateKnobsTest {

    /** Every knob, written as a user would. */
    static final String ALL_KNOBS = """
            imagePullSecrets: [{name: registry}]
            env:
              - {name: TZ, value: UTC}
              - name: API_KEY
                valueFrom: {secretKeyRef: {name: api, key: key}}
            envFrom: [{configMapRef: {name: extra-env}}, {secretRef: {name: extra-secret-env}, prefix: S_}]
            volumes:
              - {name: certs, secret: {secretName: ca}}
              - {name: scratch, emptyDir: {}}
            volumeMounts: [{name: certs, mountPath: /etc/ca, readOnly: true}]
            initContainers:
              - {name: wait, image: 'busybox:1.36', command: [sh, -c, 'true']}
            sidecars:
              - name: agent
                image: 'example/agent:1'
                volumeMounts: [{name: scratch, mountPath: /scratch}]
            securityContext: {runAsUser: 20000, fsGroupChangePolicy: OnRootMismatch}
            containerSecurityContext: {readOnlyRootFilesystem: true, runAsUser: 20001}
            """;

    static PodTemplateOverrides overrides(String yaml) {
        try {
            return Examples.STRICT.readValue(yaml, PodTemplateOverrides.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static PubSubCluster withEverywhere(String yaml) {
        PubSubCluster c = Examples.load("nats.yaml");
        c.getSpec().comet.podTemplate = overrides(yaml);
        c.getSpec().logic.podTemplate = overrides(yaml);
        c.getSpec().job.podTemplate = overrides(yaml);
        c.getSpec().redis = new dev.imcluster.operator.api.v1alpha1.RedisSpec();
        c.getSpec().redis.managed = new dev.imcluster.operator.api.v1alpha1.RedisSpec.Managed();
        c.getSpec().redis.managed.podTemplate = overrides(yaml);
        c.getSpec().mq.nats.podTemplate = overrides(yaml);
        return c;
    }

    static PodSpec rolePod(PubSubCluster c, Role role) {
        return DeploymentModel.desired(c, role, BrokerConfigRenderer.render(c), OperatorConfig.defaults(),
                ApiCapabilities.current(), null).getSpec().getTemplate().getSpec();
    }

    static List<PodSpec> everyPod(PubSubCluster c) {
        return List.of(rolePod(c, Role.COMET), rolePod(c, Role.LOGIC), rolePod(c, Role.JOB),
                RedisModel.statefulSet(c, OperatorConfig.defaults()).getSpec().getTemplate().getSpec(),
                NatsModel.statefulSet(c, OperatorConfig.defaults()).getSpec().getTemplate().getSpec());
    }

    @Test
    void natsExampleIsManaged() {
        assertThat(NatsModel.managed(Examples.load("nats.yaml"))).isTrue();
    }

    @Test
    void everyKnobIsRenderedIntoEveryPodTheOperatorMakes() {
        PubSubCluster c = withEverywhere(ALL_KNOBS);
        assertThat(SpecValidation.problems(c)).isEmpty();
        for (PodSpec pod : everyPod(c)) {
            Container main = pod.getContainers().get(0);
            assertThat(pod.getImagePullSecrets()).extracting(LocalObjectReference::getName).containsExactly("registry");
            assertThat(main.getEnv()).extracting(EnvVar::getName).contains("TZ", "API_KEY");
            assertThat(main.getEnv().get(main.getEnv().size() - 1).getValueFrom().getSecretKeyRef().getName())
                    .isEqualTo("api");
            assertThat(main.getEnvFrom()).hasSize(2);
            assertThat(main.getEnvFrom().get(1).getPrefix()).isEqualTo("S_");
            assertThat(pod.getVolumes()).extracting(Volume::getName).contains("certs", "scratch");
            assertThat(pod.getVolumes().stream().filter(v -> v.getName().equals("certs")).findFirst().orElseThrow()
                    .getSecret().getSecretName()).isEqualTo("ca");
            assertThat(main.getVolumeMounts()).extracting(VolumeMount::getMountPath).contains("/etc/ca");
            assertThat(pod.getInitContainers()).extracting(Container::getName).containsExactly("wait");
            assertThat(pod.getContainers()).extracting(Container::getName).endsWith("agent").hasSize(2);
            Container agent = pod.getContainers().get(1);
            assertThat(agent.getImage()).isEqualTo("example/agent:1");
            assertThat(agent.getSecurityContext()).as("extra containers get the restricted context")
                    .isEqualTo(PodSecurity.containerSecurityContext());
            assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(20000L);
            assertThat(pod.getSecurityContext().getFsGroupChangePolicy()).isEqualTo("OnRootMismatch");
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).as("fields not overridden are kept").isTrue();
            assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            assertThat(main.getSecurityContext().getRunAsUser()).isEqualTo(20001L);
            assertThat(main.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
            assertThat(RestrictedPodSecurity.violations(pod)).isEmpty();
        }
        assertThat(PodOverrides.restrictedWarnings(c)).isEmpty();
    }

    @Test
    void theOperatorsEnvComesFirstAndTheUsersJvmOptionsReplaceItsOwn() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().logic.podTemplate = overrides("env: [{name: JAVA_TOOL_OPTIONS, value: '-Xmx1g'}, {name: A, value: b}]");
        List<EnvVar> env = rolePod(c, Role.LOGIC).getContainers().get(0).getEnv();
        assertThat(env).extracting(EnvVar::getName).containsOnlyOnce(PodOverrides.JVM_OPTIONS_ENV)
                .startsWith(DeploymentModel.SERVER_ID_ENV).endsWith(PodOverrides.JVM_OPTIONS_ENV, "A");
        assertThat(env).filteredOn(e -> e.getName().equals(PodOverrides.JVM_OPTIONS_ENV))
                .extracting(EnvVar::getValue).containsExactly("-Xmx1g");
        assertThat(rolePod(c, Role.COMET).getContainers().get(0).getEnv()).extracting(EnvVar::getValue)
                .contains("-XX:MaxRAMPercentage=70 -XX:+ExitOnOutOfMemoryError");
    }

    @Test
    void brokerPodsLogJsonUnlessTheUserAsksForText() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        assertThat(rolePod(c, Role.COMET).getContainers().get(0).getEnv())
                .filteredOn(e -> e.getName().equals(PodOverrides.LOG_FORMAT_ENV))
                .extracting(EnvVar::getValue).containsExactly("json");
        c.getSpec().job.podTemplate = overrides("env: [{name: IMCLUSTER_LOG_FORMAT, value: text}]");
        assertThat(SpecValidation.problems(c)).isEmpty();
        assertThat(rolePod(c, Role.JOB).getContainers().get(0).getEnv())
                .filteredOn(e -> e.getName().equals(PodOverrides.LOG_FORMAT_ENV))
                .extracting(EnvVar::getValue).containsExactly("text");
    }

    @Test
    void envThatWouldOverrideTheOperatorsIsRefused() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().comet.podTemplate = overrides("env: [{name: IMCLUSTER__COMET__MAXCONNECTIONS, value: '1'},"
                + " {name: POD_IP, value: x}, {name: IMCLUSTER_REDIS_PASSWORD, value: y}, {name: OK, value: a},"
                + " {name: OK, value: b}, {name: 'A=B', value: c}]");
        assertThat(SpecValidation.problems(c)).containsExactly(
                "spec.comet.podTemplate.env[0].name 'IMCLUSTER__COMET__MAXCONNECTIONS' is set by the operator (POD_IP "
                        + "and every name starting with IMCLUSTER_ carry the pod's identity and the rendered config): "
                        + "change the spec field it comes from instead",
                "spec.comet.podTemplate.env[1].name 'POD_IP' is set by the operator (POD_IP and every name starting "
                        + "with IMCLUSTER_ carry the pod's identity and the rendered config): change the spec field it "
                        + "comes from instead",
                "spec.comet.podTemplate.env[2].name 'IMCLUSTER_REDIS_PASSWORD' is set by the operator (POD_IP and "
                        + "every name starting with IMCLUSTER_ carry the pod's identity and the rendered config): "
                        + "change the spec field it comes from instead",
                "spec.comet.podTemplate.env[4].name 'OK' is listed more than once",
                "spec.comet.podTemplate.env[5].name 'A=B' is not a valid environment variable name");
        PubSubCluster redis = Examples.load("quickstart.yaml");
        redis.getSpec().redis.managed.podTemplate = overrides("env: [{name: IMCLUSTER_X, value: '1'}]");
        assertThat(SpecValidation.problems(redis)).as("Redis has no operator env to protect").isEmpty();
    }

    @Test
    void volumesAndMountsMayNotTakeTheOperatorsNamesOrPaths() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().job.podTemplate = overrides("""
                volumes: [{name: tmp, emptyDir: {}}, {name: mine, emptyDir: {}}, {name: mine, emptyDir: {}},
                          {name: Bad_Name, emptyDir: {}}, {name: nosource}]
                volumeMounts: [{name: mine, mountPath: /etc/imcluster/x}, {name: ghost, mountPath: /ghost},
                               {name: mine, mountPath: relative}, {name: mine, mountPath: /var/run/secrets/imcluster},
                               {name: mine, mountPath: /data}, {name: mine, mountPath: /data/}]
                """);
        assertThat(SpecValidation.problems(c)).containsExactly(
                "spec.job.podTemplate.volumes[0].name 'tmp' is a volume of the operator's (auth, config, "
                        + "internal-token, kafka, mqtt, tls, tmp are taken): choose another name",
                "spec.job.podTemplate.volumes[2].name 'mine' is listed more than once",
                "spec.job.podTemplate.volumes[3].name 'Bad_Name' is not a valid volume name (a DNS-1123 label)",
                "spec.job.podTemplate.volumes[4] has no volume source (such as configMap, secret, emptyDir, "
                        + "persistentVolumeClaim)",
                "spec.job.podTemplate.volumeMounts[0].mountPath '/etc/imcluster/x' is on the operator's mount "
                        + "/etc/imcluster (/etc/imcluster, /tmp, /var/run/secrets/imcluster, /app and below are taken)",
                "spec.job.podTemplate.volumeMounts[1].name 'ghost' names no volume of spec.job.podTemplate.volumes",
                "spec.job.podTemplate.volumeMounts[2].mountPath 'relative' is not an absolute path",
                "spec.job.podTemplate.volumeMounts[3].mountPath '/var/run/secrets/imcluster' is on the operator's "
                        + "mount /var/run/secrets/imcluster (/etc/imcluster, /tmp, /var/run/secrets/imcluster, /app "
                        + "and below are taken)",
                "spec.job.podTemplate.volumeMounts[5].mountPath '/data/' is mounted more than once");
        PubSubCluster redis = Examples.load("quickstart.yaml");
        redis.getSpec().redis.managed.podTemplate = overrides(
                "volumes: [{name: data, emptyDir: {}}, {name: conf2, emptyDir: {}}]\n"
                        + "volumeMounts: [{name: conf2, mountPath: /etc/redis}]");
        assertThat(SpecValidation.problems(redis)).containsExactly(
                "spec.redis.managed.podTemplate.volumes[0].name 'data' is a volume of the operator's (conf, data are "
                        + "taken): choose another name",
                "spec.redis.managed.podTemplate.volumeMounts[0].mountPath '/etc/redis' is on the operator's mount "
                        + "/etc/redis (/etc/redis, /data and below are taken)");
    }

    @Test
    void extraContainersNeedAUniqueNameAndAnImage() {
        PubSubCluster c = withEverywhere("""
                initContainers: [{name: broker, image: x}, {name: init}]
                sidecars: [{name: init, image: y}, {name: Agent, image: z}, {name: nats, image: n}]
                """);
        assertThat(SpecValidation.problems(c)).contains(
                "spec.comet.podTemplate.initContainers[0].name 'broker' is taken by another container of the pod",
                "spec.comet.podTemplate.initContainers[1].image is required",
                "spec.comet.podTemplate.sidecars[0].name 'init' is taken by another container of the pod",
                "spec.comet.podTemplate.sidecars[1].name 'Agent' is not a valid container name (a DNS-1123 label)",
                "spec.mq.nats.podTemplate.sidecars[2].name 'nats' is taken by another container of the pod",
                "spec.redis.managed.podTemplate.initContainers[1].image is required")
                .doesNotContain("spec.comet.podTemplate.sidecars[2].name 'nats' is taken by another container of the pod");
    }

    @Test
    void pullSecretsAndEnvFromAreCheckedAndNatsOverridesNeedAManagedNats() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().comet.podTemplate = overrides("imagePullSecrets: [{name: 'No'}]\n"
                + "envFrom: [{configMapRef: {name: a}, secretRef: {name: b}}, {}, {secretRef: {name: 'x y'}}]");
        c.getSpec().mq.nats = new dev.imcluster.operator.api.v1alpha1.MqSpec.NatsSpec();
        c.getSpec().mq.nats.url = "nats://n:4222";
        c.getSpec().mq.nats.podTemplate = overrides("env: [{name: A, value: b}]");
        assertThat(SpecValidation.problems(c)).containsExactly(
                "spec.comet.podTemplate.imagePullSecrets[0].name 'No' is not a valid Secret name",
                "spec.comet.podTemplate.envFrom[0] needs exactly one of configMapRef and secretRef",
                "spec.comet.podTemplate.envFrom[1] needs exactly one of configMapRef and secretRef",
                "spec.comet.podTemplate.envFrom[2]: 'x y' is not a valid object name",
                "spec.mq.nats.podTemplate is only for a managed NATS: set spec.mq.nats.managed: true or remove "
                        + "podTemplate");
    }

    /** Decision: a security context that breaks "restricted" is the user's call; it is rendered and reported. */
    @Test
    void overridesThatLeaveTheRestrictedProfileAreRenderedAndReportedAsWarnings() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().logic.podTemplate = overrides("""
                containerSecurityContext: {allowPrivilegeEscalation: true, capabilities: {add: [NET_ADMIN]}}
                sidecars: [{name: debug, image: busybox, securityContext: {privileged: true}}]
                volumes: [{name: host, hostPath: {path: /var/log}}]
                """);
        c.getSpec().redis.managed.podTemplate = overrides("securityContext: {runAsUser: 0, runAsNonRoot: false}");
        assertThat(SpecValidation.problems(c)).isEmpty();
        PodSpec logic = rolePod(c, Role.LOGIC);
        assertThat(logic.getContainers().get(0).getSecurityContext().getAllowPrivilegeEscalation()).isTrue();
        assertThat(RestrictedPodSecurity.violations(logic)).isNotEmpty();
        assertThat(PodOverrides.restrictedWarnings(c)).containsExactly(
                "spec.logic.podTemplate takes its pods out of the restricted Pod Security Standard (volume host of "
                        + "type hostPath, container main: allowPrivilegeEscalation is not false, container main: "
                        + "capabilities do not drop ALL, container main: capabilities add [NET_ADMIN], container "
                        + "debug: privileged, container debug: allowPrivilegeEscalation is not false, container debug: "
                        + "capabilities do not drop ALL); a namespace that enforces it will refuse them.",
                "spec.redis.managed.podTemplate takes its pods out of the restricted Pod Security Standard "
                        + "(securityContext.runAsUser 0); a namespace that enforces it will refuse them.");
    }

    @Test
    void backendPodsTakePlacementLabelsAndAnnotationsToo() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().redis.managed.podTemplate = overrides("""
                nodeSelector: {disk: ssd}
                tolerations: [{key: dedicated, operator: Equal, value: redis, effect: NoSchedule}]
                priorityClassName: critical
                labels: {team: im, app.kubernetes.io/component: hijack}
                annotations: {example.com/a: b}
                """);
        var ss = RedisModel.statefulSet(c, OperatorConfig.defaults());
        var meta = ss.getSpec().getTemplate().getMetadata();
        assertThat(meta.getLabels()).containsEntry("team", "im").containsEntry(Labels.COMPONENT, "redis");
        assertThat(meta.getAnnotations()).containsEntry("example.com/a", "b");
        PodSpec pod = ss.getSpec().getTemplate().getSpec();
        assertThat(pod.getNodeSelector()).containsEntry("disk", "ssd");
        assertThat(pod.getTolerations()).hasSize(1);
        assertThat(pod.getPriorityClassName()).isEqualTo("critical");
    }

    @Test
    void cometServiceTakesTrafficPolicyAndLoadBalancerSettings() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().comet.service = overridesOf("""
                type: LoadBalancer
                externalTrafficPolicy: Local
                loadBalancerSourceRanges: [203.0.113.0/24, '2001:db8::/32']
                loadBalancerClass: service.k8s.aws/nlb
                annotations: {example.com/lb: internal}
                """);
        assertThat(SpecValidation.problems(c)).isEmpty();
        Service s = ServiceModel.cometExternal(c);
        assertThat(s.getSpec().getType()).isEqualTo("LoadBalancer");
        assertThat(s.getSpec().getExternalTrafficPolicy()).isEqualTo("Local");
        assertThat(s.getSpec().getLoadBalancerSourceRanges()).containsExactly("203.0.113.0/24", "2001:db8::/32");
        assertThat(s.getSpec().getLoadBalancerClass()).isEqualTo("service.k8s.aws/nlb");
        assertThat(s.getMetadata().getAnnotations()).containsEntry("example.com/lb", "internal");
        assertThat(ServiceModel.cometHeadless(c).getSpec().getExternalTrafficPolicy()).isNull();

        PubSubCluster plain = Examples.load("quickstart.yaml");
        Service clusterIp = ServiceModel.cometExternal(plain);
        assertThat(clusterIp.getSpec().getExternalTrafficPolicy()).isNull();
        assertThat(clusterIp.getSpec().getLoadBalancerClass()).isNull();
        assertThat(clusterIp.getSpec().getLoadBalancerSourceRanges()).isNullOrEmpty();

        c.getSpec().comet.service = overridesOf("""
                type: NodePort
                loadBalancerSourceRanges: [10.0.0.0/33, 300.0.0.0/8, 10.0.0.0/8, 'x/8']
                loadBalancerClass: 'bad class'
                """);
        assertThat(SpecValidation.problems(c)).containsExactly(
                "spec.comet.service.loadBalancerClass and loadBalancerSourceRanges need type LoadBalancer (type is "
                        + "NodePort)",
                "spec.comet.service.loadBalancerSourceRanges[0] '10.0.0.0/33' is not a CIDR such as 203.0.113.0/24 "
                        + "or 2001:db8::/32",
                "spec.comet.service.loadBalancerSourceRanges[1] '300.0.0.0/8' is not a CIDR such as 203.0.113.0/24 "
                        + "or 2001:db8::/32",
                "spec.comet.service.loadBalancerSourceRanges[3] 'x/8' is not a CIDR such as 203.0.113.0/24 or "
                        + "2001:db8::/32",
                "spec.comet.service.loadBalancerClass 'bad class' is not a label-style name (such as example.com/lb)");
        c.getSpec().comet.service = overridesOf("externalTrafficPolicy: Local");
        assertThat(SpecValidation.problems(c)).containsExactly(
                "spec.comet.service.externalTrafficPolicy needs type NodePort or LoadBalancer (type is ClusterIP)");
    }

    private static dev.imcluster.operator.api.v1alpha1.CometSpec.ServiceSpec overridesOf(String yaml) {
        try {
            return Examples.STRICT.readValue(yaml, dev.imcluster.operator.api.v1alpha1.CometSpec.ServiceSpec.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void serviceAccountAnnotationsOrAnExistingOneByName() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().serviceAccount = new PubSubClusterSpec.ServiceAccountSpec();
        c.getSpec().serviceAccount.annotations = java.util.Map.of("iam.gke.io/gcp-service-account",
                "im@project.iam.gserviceaccount.com");
        ServiceAccount sa = ServiceAccountModel.desired(c);
        assertThat(sa.getMetadata().getName()).isEqualTo("quickstart-broker");
        assertThat(sa.getMetadata().getAnnotations()).containsEntry("iam.gke.io/gcp-service-account",
                "im@project.iam.gserviceaccount.com");
        assertThat(rolePod(c, Role.COMET).getServiceAccountName()).isEqualTo("quickstart-broker");
        assertThat(SpecValidation.problems(c)).isEmpty();
        assertThat(ServiceAccountModel.desired(Examples.load("quickstart.yaml")).getMetadata().getAnnotations())
                .isNullOrEmpty();

        c.getSpec().serviceAccount.name = "workload-identity";
        assertThat(SpecValidation.problems(c)).containsExactly("spec.serviceAccount.name and "
                + "serviceAccount.annotations are mutually exclusive (annotate the named ServiceAccount itself)");
        c.getSpec().serviceAccount.annotations = null;
        assertThat(SpecValidation.problems(c)).isEmpty();
        for (Role role : Role.values()) {
            assertThat(rolePod(c, role).getServiceAccountName()).isEqualTo("workload-identity");
        }
        assertThat(RedisModel.statefulSet(c, OperatorConfig.defaults()).getSpec().getTemplate().getSpec()
                .getServiceAccountName()).as("backends keep the namespace default, without a token").isNull();
        c.getSpec().serviceAccount.name = "Not_A_Name";
        assertThat(SpecValidation.problems(c)).containsExactly(
                "spec.serviceAccount.name 'Not_A_Name' is not a valid object name");
    }
}
