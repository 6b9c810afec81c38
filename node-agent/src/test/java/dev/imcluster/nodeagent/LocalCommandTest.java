package dev.imcluster.nodeagent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalCommandTest {
    @TempDir
    static Path state;
    private final LocalCommand commands = new LocalCommand(state.resolve("hosts"), Path.of("/b/broker.jar"),
            List.of("-Xmx1m"));
    private final PathRewriter rewriter = new PathRewriter(Map.of("/etc/imcluster", "/p/volumes/config"));

    private static Container container(String image, List<String> command, List<String> args) {
        return new ContainerBuilder().withName("c").withImage(image).withCommand(command).withArgs(args).build();
    }

    @Test
    void theBrokerImageRunsTheLocalJarOnThePodAddress() {
        Map<String, String> env = new HashMap<>();
        List<String> cmd = commands.of(container("ghcr.io/x/imcluster/broker:1", List.of("java", "-Xmx64m", "-jar",
                LocalCommand.BROKER_JAR_IN_IMAGE), List.of("comet", "--config", "/etc/imcluster/broker.yaml")),
                "127.0.0.10", env, rewriter);
        assertThat(cmd).containsExactly("java", "-Djdk.net.hosts.file=" + state.resolve("hosts"),
                "-Dsun.net.inetaddr.ttl=5", "-Djava.security.properties=" + state.resolve("dns-cache.security"), "-Xmx1m", "-jar", "/b/broker.jar", "comet", "--config",
                "/p/volumes/config/broker.yaml");
        assertThat(env).containsEntry("IMCLUSTER__BINDADDRESS", "127.0.0.10");
        // java.security's own 10 s cache of failed lookups would hide a Service's pods for that long.
        assertThat(state.resolve("dns-cache.security")).hasContent("networkaddress.cache.negative.ttl=1");
    }

    @Test
    void theBrokerImagesEntrypointTakesTheRoleAsArgument() {
        List<String> cmd = commands.of(container("imcluster-broker:dev", null, List.of("logic")), "127.0.0.11",
                new HashMap<>(), rewriter);
        assertThat(cmd).endsWith("-jar", "/b/broker.jar", "logic");
    }

    @Test
    void redisAndNatsBindThePodAddress() {
        assertThat(commands.of(container("redis:7", null, null), "127.0.0.12", new HashMap<>(), rewriter))
                .containsExactly("redis-server", "--bind", "127.0.0.12");
        assertThat(commands.of(container("x", List.of("redis-server", "--appendonly", "yes"), null), "127.0.0.12",
                new HashMap<>(), rewriter)).containsExactly("redis-server", "--appendonly", "yes", "--bind", "127.0.0.12");
        assertThat(commands.of(container("nats:2.10", null, List.of("-js", "-sd", "/etc/imcluster/js")), "127.0.0.13",
                new HashMap<>(), rewriter)).containsExactly("nats-server", "-js", "-sd", "/p/volumes/config/js", "-a",
                "127.0.0.13");
    }

    /** A NATS cluster: $(VAR) in args as the kubelet expands them, and routes by the hosts file's addresses. */
    @Test
    void natsRoutesGoToTheAddressesOfTheRouteServiceAndArgsExpandVariables() throws Exception {
        java.nio.file.Files.writeString(state.resolve("hosts"), "127.0.0.1 localhost\n"
                + "127.0.0.20 c-nats-cluster c-nats-cluster.ns\n127.0.0.21 c-nats-cluster c-nats-cluster.ns\n");
        List<String> cmd = commands.of(container("nats:2.10", null, List.of("-js", "--name", "$(POD_NAME)",
                "--cluster", "nats://$(POD_IP):6222", "--routes", "nats://c-nats-cluster:6222,nats://other:6222")),
                "127.0.0.22", new HashMap<>(java.util.Map.of("POD_NAME", "c-nats-2", "POD_IP", "127.0.0.22")),
                rewriter);
        assertThat(cmd).containsExactly("nats-server", "-js", "--name", "c-nats-2", "--cluster",
                "nats://127.0.0.22:6222", "--routes",
                "nats://127.0.0.20:6222,nats://127.0.0.21:6222,nats://other:6222", "-a", "127.0.0.22");
    }

    @Test
    void mosquittoRunsItsStartScriptListeningOnThePodAddressOnly() {
        java.util.Map<String, String> env = new HashMap<>(java.util.Map.of(LocalCommand.MOSQUITTO_CONF_ENV,
                "listener 1883\npersistence true"));
        assertThat(commands.of(container("eclipse-mosquitto:2.0", List.of("sh", "-c", "exec mosquitto -c x"), null),
                "127.0.0.15", env, rewriter)).containsExactly("sh", "-c", "exec mosquitto -c x");
        assertThat(env.get(LocalCommand.MOSQUITTO_CONF_ENV)).startsWith("listener 1883 127.0.0.15\npersistence true\n")
                .contains("user " + System.getProperty("user.name"));

        // With spec.tls.internal the listener's TLS settings follow it (their paths rewritten with the env's values).
        env.put(LocalCommand.MOSQUITTO_CONF_ENV, "listener 1883\ncertfile /v/tls/tls.crt\nrequire_certificate true");
        commands.of(container("eclipse-mosquitto:2.0", List.of("sh", "-c", "exec mosquitto -c x"), null),
                "127.0.0.15", env, rewriter);
        assertThat(env.get(LocalCommand.MOSQUITTO_CONF_ENV))
                .startsWith("listener 1883 127.0.0.15\ncertfile /v/tls/tls.crt\nrequire_certificate true\n");
    }

    @Test
    void anUnknownImageIsRefused() {
        assertThatThrownBy(() -> commands.of(container("busybox", List.of("sh"), null), "127.0.0.14", new HashMap<>(),
                rewriter)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot run image busybox");
    }
}
