package dev.imcluster.operator.model;

import dev.imcluster.common.testing.RequiredTools;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real redis-server (the Debian package) started with the arguments the operator renders for the managed Redis
 * with internal TLS, and the certificates of the operator's own {@link InternalCertificates}: a role's certificate
 * gets in (with the password), no certificate or plaintext does not. The pod's paths are mapped to a temporary
 * directory. The pod's exec probes pass against it. The client is redis-cli: the broker's lettuce client also
 * checks the host name, which here is 127.0.0.1 and not the Service's name in the certificate (its mutual TLS is
 * broker-image's RedisClients tests).
 */
class ManagedRedisTlsProcessTest {
    private static final String PASSWORD = "test-password-0123456789";
    private Process redis;

    @AfterEach
    void stop() throws InterruptedException {
        BackendProcesses.stop(redis);
    }

    /** redis-cli's reply to PING on {@code port} with these extra arguments (its error text if refused). */
    private static String ping(int port, Path dir, List<String> extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(port),
                "--no-auth-warning", "-a", PASSWORD));
        cmd.addAll(extra);
        cmd.add("PING");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("cli.out").toFile())
                .start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timeout";
        }
        return Files.readString(dir.resolve("cli.out")).trim();
    }

    @Test
    void theRenderedTlsSettingsAdmitARoleCertificateAndNothingElse(@TempDir Path dir) throws Exception {
        RequiredTools.requireExecutable(Path.of("/usr/bin/redis-server"), "redis-server");
        RequiredTools.requireExecutable(Path.of("/usr/bin/redis-cli"), "redis-tools");
        PubSubCluster c = BackendProcesses.withInternalTls("quickstart.yaml");
        InternalCertificates.Plan plan = BackendProcesses.plan(c);
        // The pod's files: the backend's Secret at its mount, the password's redis.conf, the data directory.
        Path tls = BackendProcesses.directory(dir, "tls", plan.backends().get(ManagedBackend.REDIS));
        Path conf = BackendProcesses.directory(dir, "conf", Map.of(RedisModel.CONF_KEY,
                "requirepass " + PASSWORD + "\n"));
        Path data = BackendProcesses.directory(dir, "data", Map.of());
        Path logic = BackendProcesses.directory(dir, "logic", plan.roles().get(Role.LOGIC));

        int port = BackendProcesses.freePort();
        List<String> cmd = new ArrayList<>(List.of("redis-server"));
        cmd.addAll(BackendProcesses.local(RedisModel.statefulSet(c, OperatorConfig.defaults(), plan.backends()
                .get(ManagedBackend.REDIS)).getSpec().getTemplate().getSpec().getContainers().get(0).getArgs(),
                BackendProcesses.replacements(ManagedStatefulSet.TLS_PATH, tls.toString(), "/etc/redis", conf.toString(),
                        ManagedStatefulSet.DATA_PATH, data.toString(), String.valueOf(Ports.REDIS),
                        String.valueOf(port))));
        cmd.addAll(List.of("--bind", "127.0.0.1", "--daemonize", "no"));
        redis = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile())
                .start();

        List<String> withRoleCertificate = List.of("--tls", "--cacert", logic.resolve("ca.crt").toString(),
                "--cert", logic.resolve("tls.crt").toString(), "--key", logic.resolve("tls.key").toString());
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> "PONG".equals(ping(port, dir, withRoleCertificate)) || !redis.isAlive());
        assertThat(redis.isAlive()).as("redis-server accepts the rendered arguments: %s",
                Files.readString(dir.resolve("redis.log"))).isTrue();
        assertThat(ping(port, dir, withRoleCertificate)).isEqualTo("PONG");

        // The pod's probes, as rendered: redis-cli over TLS with Redis's own certificate.
        var container = RedisModel.statefulSet(c, OperatorConfig.defaults(), plan.backends().get(ManagedBackend.REDIS))
                .getSpec().getTemplate().getSpec().getContainers().get(0);
        for (var probe : List.of(container.getReadinessProbe(), container.getLivenessProbe())) {
            Process check = new ProcessBuilder(BackendProcesses.local(probe.getExec().getCommand(),
                    BackendProcesses.replacements(ManagedStatefulSet.TLS_PATH, tls.toString(),
                            String.valueOf(Ports.REDIS), String.valueOf(port))))
                    .redirectErrorStream(true).redirectOutput(dir.resolve("probe.out").toFile()).start();
            assertThat(check.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(check.exitValue()).as("probe: %s", Files.readString(dir.resolve("probe.out"))).isZero();
        }

        assertThat(ping(port, dir, List.of("--tls", "--cacert", logic.resolve("ca.crt").toString())))
                .as("TLS without a client certificate").isNotEqualTo("PONG");
        assertThat(ping(port, dir, List.of())).as("plaintext").isNotEqualTo("PONG");
        Process p = new ProcessBuilder(concat(List.of("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(port)),
                withRoleCertificate, List.of("GET", "k"))).redirectErrorStream(true)
                .redirectOutput(dir.resolve("nopw.out").toFile()).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(dir.resolve("nopw.out"))).as("the password is still asked for")
                .contains("NOAUTH");
    }

    private static List<String> concat(List<String> a, List<String> b, List<String> c) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        all.addAll(c);
        return all;
    }

}
