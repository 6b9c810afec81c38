package dev.imcluster.nodeagent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Volumes and environment of a pod, from Secrets and ConfigMaps in a mock API server. */
@EnableKubernetesMockClient(crud = true)
class PodFilesTest {
    KubernetesClient client;

    @TempDir
    Path dir;

    @BeforeEach
    void objects() {
        client.configMaps().inNamespace("ns").resource(new ConfigMapBuilder().withNewMetadata().withName("cfg")
                .endMetadata().addToData("broker.yaml", "auth:\n  hs256SecretFile: /var/run/secrets/auth/secret\n")
                .addToData("level", "info").build()).create();
        client.secrets().inNamespace("ns").resource(new SecretBuilder().withNewMetadata().withName("auth")
                .endMetadata().addToData("secret", b64("s3cr3t")).addToData("token", b64("t0k")).build()).create();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static Pod pod() {
        return new PodBuilder().withNewMetadata().withName("logic-0").withNamespace("ns").withUid("u-1")
                .addToLabels("app.kubernetes.io/component", "logic").endMetadata()
                .withNewSpec().withServiceAccountName("")
                .addNewContainer().withName("logic").withImage("imcluster/broker")
                .addNewVolumeMount().withName("config").withMountPath("/etc/imcluster").endVolumeMount()
                .addNewVolumeMount().withName("auth").withMountPath("/var/run/secrets/auth").endVolumeMount()
                .addNewVolumeMount().withName("data").withMountPath("/data").endVolumeMount()
                .addNewEnvFrom().withPrefix("CFG_").withNewConfigMapRef().withName("cfg").endConfigMapRef().endEnvFrom()
                .addNewEnv().withName("DIR").withValue("/data/x").endEnv()
                .addNewEnv().withName("EMPTY").endEnv()
                .addNewEnv().withName("REF").withValue("$(DIR)/y $(NOPE)").endEnv()
                .addNewEnv().withName("POD").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name")
                .endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("IP").withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP")
                .endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("ROLE").withNewValueFrom().withNewFieldRef()
                .withFieldPath("metadata.labels['app.kubernetes.io/component']").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("SA").withNewValueFrom().withNewFieldRef().withFieldPath("spec.serviceAccountName")
                .endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("TOKEN").withNewValueFrom().withNewSecretKeyRef().withName("auth").withKey("token")
                .endSecretKeyRef().endValueFrom().endEnv()
                .addNewEnv().withName("MAYBE").withNewValueFrom().withNewSecretKeyRef().withName("auth").withKey("none")
                .withOptional(true).endSecretKeyRef().endValueFrom().endEnv()
                .endContainer()
                .addNewVolume().withName("config").withNewConfigMap().withName("cfg").addNewItem().withKey("broker.yaml")
                .withPath("broker.yaml").endItem().endConfigMap().endVolume()
                .addNewVolume().withName("auth").withNewSecret().withSecretName("auth").endSecret().endVolume()
                .addNewVolume().withName("data").withNewEmptyDir().endEmptyDir().endVolume()
                .addNewVolume().withName("unused").withNewSecret().withSecretName("missing").endSecret().endVolume()
                .endSpec().build();
    }

    @Test
    void volumesAreWrittenUnderThePodDirectoryWithMountPathsRewritten() throws Exception {
        Pod pod = pod();
        PodVolumes volumes = new PodVolumes(pod, pod.getSpec().getContainers().get(0), dir, new ConfigSource(client));
        Map<String, String> mounts = volumes.mounts();
        assertThat(mounts).containsEntry("/data", dir.resolve("volumes/data").toString());
        volumes.write(mounts, new PathRewriter(mounts));
        assertThat(Files.readString(dir.resolve("volumes/config/broker.yaml")))
                .isEqualTo("auth:\n  hs256SecretFile: " + dir.resolve("volumes/auth/secret") + "\n");
        assertThat(dir.resolve("volumes/config/level")).doesNotExist(); // not among the items
        assertThat(Files.readString(dir.resolve("volumes/auth/secret"))).isEqualTo("s3cr3t");
        assertThat(dir.resolve("volumes/data")).isDirectory();
        assertThat(dir.resolve("volumes/unused")).doesNotExist();
    }

    @Test
    void aChangedSecretIsSwappedInWholeAndAnUnchangedOneIsLeftAlone() throws Exception {
        Pod pod = pod();
        PodVolumes volumes = new PodVolumes(pod, pod.getSpec().getContainers().get(0), dir, new ConfigSource(client));
        Map<String, String> mounts = volumes.mounts();
        PathRewriter rewriter = new PathRewriter(mounts);
        Files.createDirectories(dir.resolve("volumes/auth"));
        Files.writeString(dir.resolve("volumes/auth/stale"), "from an earlier process of the pod");
        volumes.write(mounts, rewriter);
        assertThat(dir.resolve("volumes/auth/stale")).doesNotExist();
        assertThat(volumes.refresh(rewriter)).isEmpty();
        Path before = dir.resolve("volumes/auth/..data").toRealPath();

        client.secrets().inNamespace("ns").withName("auth").edit(s -> new SecretBuilder(s).withData(Map.of(
                "secret", b64("rotated"), "added", b64("new key"))).build());
        assertThat(volumes.refresh(rewriter)).containsExactly("auth");
        assertThat(Files.readString(dir.resolve("volumes/auth/secret"))).isEqualTo("rotated");
        assertThat(Files.readString(dir.resolve("volumes/auth/added"))).isEqualTo("new key");
        assertThat(dir.resolve("volumes/auth/token")).doesNotExist(); // a key that is gone
        assertThat(Files.isSymbolicLink(dir.resolve("volumes/auth/secret"))).isTrue();
        assertThat(before).doesNotExist(); // the previous version is removed once the link moved
        assertThat(volumes.refresh(rewriter)).isEmpty();
        assertThat(Files.readString(dir.resolve("volumes/config/broker.yaml")))
                .contains(dir.resolve("volumes/auth/secret").toString());
    }

    @Test
    void theEnvironmentResolvesReferencesAndRewritesPaths() {
        Pod pod = pod();
        PodVolumes volumes = new PodVolumes(pod, pod.getSpec().getContainers().get(0), dir, new ConfigSource(client));
        PathRewriter rewriter = new PathRewriter(volumes.mounts());
        Map<String, String> env = new PodEnvironment(pod, pod.getSpec().getContainers().get(0), "127.0.0.10", "node-a",
                new ConfigSource(client)).build(dir, rewriter);
        String data = dir.resolve("volumes/data").toString();
        assertThat(env).containsEntry("HOME", dir.toString()).containsEntry("HOSTNAME", "logic-0")
                .containsEntry("CFG_level", "info")
                .containsEntry("DIR", data + "/x")
                .containsEntry("REF", data + "/x/y $(NOPE)")
                .containsEntry("POD", "logic-0").containsEntry("IP", "127.0.0.10").containsEntry("ROLE", "logic")
                .containsEntry("SA", "").containsEntry("TOKEN", "t0k")
                .doesNotContainKey("MAYBE").doesNotContainKey("EMPTY");
    }

    @Test
    void aMissingRequiredSecretFailsTheStart() {
        Pod pod = new PodBuilder(pod()).editSpec().editFirstContainer().addNewEnv().withName("X").withNewValueFrom()
                .withNewSecretKeyRef().withName("gone").withKey("k").endSecretKeyRef().endValueFrom().endEnv()
                .endContainer().endSpec().build();
        PodEnvironment env = new PodEnvironment(pod, pod.getSpec().getContainers().get(0), "127.0.0.10", "n",
                new ConfigSource(client));
        assertThatThrownBy(() -> env.build(dir, new PathRewriter(Map.of())))
                .isInstanceOf(ConfigSource.MissingException.class).hasMessageContaining("secret ns/gone not found");
    }
}
