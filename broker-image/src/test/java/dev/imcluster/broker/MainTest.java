package dev.imcluster.broker;

import static dev.imcluster.broker.testing.TestSupport.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.broker.job.JobRole;
import dev.imcluster.broker.logic.LogicRole;
import dev.imcluster.broker.process.BrokerProcess;
import dev.imcluster.broker.testinfra.ExternalServerProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void unknownRoleExits2() {
        assertThat(Main.launch(new String[] {"gateway"}, Map.of(), err).exitCode()).isEqualTo(2);
        assertThat(err()).contains("unknown role 'gateway'").contains("usage:");
    }

    @Test
    void helpIsAskedForWithEitherFlagAnywhere() {
        assertThat(Main.helpRequested(new String[] {"--help"})).isTrue();
        assertThat(Main.helpRequested(new String[] {"comet", "-h"})).isTrue();
        assertThat(Main.helpRequested(new String[] {"comet", "--config", "x.yaml"})).isFalse();
    }

    @Test
    void missingRoleExits2() {
        assertThat(Main.launch(new String[0], Map.of(), err).exitCode()).isEqualTo(2);
    }

    @Test
    void unknownKeyInTheConfigFileExits2NamingIt() throws Exception {
        Path file = dir.resolve("broker.yaml");
        Files.writeString(file, "job:\n  roomBatch:\n    maxMesages: 5\n");
        Main.Launched launched = Main.launch(new String[] {"job", "--config", file.toString()}, Map.of(), err);
        assertThat(launched.exitCode()).isEqualTo(2);
        assertThat(err()).contains("job.roomBatch.maxMesages");
    }

    @Test
    void configFileFromTheEnvironmentAndBadValueInEnvExit2() throws Exception {
        Path file = dir.resolve("broker.properties");
        Files.writeString(file, "logic.http.port=99999\n");
        assertThat(Main.launch(new String[] {"standalone"}, Map.of("IMCLUSTER_CONFIG", file.toString()), err)
                .exitCode()).isEqualTo(2);
        assertThat(err()).contains("logic.http.port");
        assertThat(Main.launch(new String[] {"logic"}, Map.of("IMCLUSTER__LOGIC__MAX_MESSAGE_SIZE", "big"), err)
                .exitCode()).isEqualTo(2);
        assertThat(err()).contains("logic.maxMessageSize");
    }

    /** A queue that is down at start is not a config error: job starts, not ready, and keeps retrying. */
    @Test
    void unreachableQueueStartsNotReady() throws Exception {
        Map<String, String> env = Map.of("IMCLUSTER__MQ__BACKEND", "kafka",
                "IMCLUSTER__MQ__KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:" + ExternalServerProcess.freePort(),
                "IMCLUSTER__ADMIN__PORT", "0");
        Main.Launched launched = Main.launch(new String[] {"job"}, env, err);
        try {
            assertThat(launched.exitCode()).as(err()).isZero();
            assertThat(launched.process().context().health().evaluate().get("job.bus").ok()).isFalse();
            assertThat(get("http://127.0.0.1:" + launched.process().adminPort() + "/readyz").statusCode())
                    .isEqualTo(503);
        } finally {
            if (launched.process() != null) {
                launched.process().close();
            }
        }
    }

    @Test
    void aBackendWithoutItsSettingsExits2NamingTheKey() {
        Map<String, String> env = Map.of("IMCLUSTER__MQ__BACKEND", "kafka", "IMCLUSTER__ADMIN__PORT", "0");
        assertThat(Main.launch(new String[] {"job"}, env, err).exitCode()).isEqualTo(2);
        assertThat(err()).contains("mq.kafka.bootstrapServers");
    }

    @Test
    void theMemoryQueueIsRefusedOutsideStandalone() {
        assertThat(Main.launch(new String[] {"job"}, Map.of("IMCLUSTER__ADMIN__PORT", "0"), err).exitCode())
                .isEqualTo(2);
        assertThat(err()).contains("mq.backend").contains("standalone");
    }

    @Test
    void logicRoleAloneNeedsJwtKeysByDefault() {
        assertThat(Main.launch(new String[] {"logic"}, Map.of(), err).exitCode()).isEqualTo(2);
        assertThat(err()).contains("logic.auth.mode");
    }

    @Test
    void cometRoleStartsAloneWithoutQueueOrStore() throws Exception {
        Main.Launched launched = Main.launch(new String[] {"comet"}, loopbackEnv(), err);
        assertThat(launched.exitCode()).as(err()).isZero();
        try (BrokerProcess process = launched.process()) {
            assertThat(process.roles()).extracting(r -> r.name()).containsExactly("comet");
            assertThat(process.context().bus()).isNull();
            assertThat(get("http://127.0.0.1:" + process.adminPort() + "/healthz").statusCode()).isEqualTo(200);
        }
    }

    private static Map<String, String> loopbackEnv() {
        Map<String, String> env = new HashMap<>();
        for (String key : new String[] {"ADMIN__PORT", "LOGIC__HTTP__PORT", "LOGIC__GRPC__PORT", "COMET__TCP__PORT",
                "COMET__WEBSOCKET__PORT", "COMET__GRPC__PORT", "COMET__PUBSUB_GRPC__PORT"}) {
            env.put("IMCLUSTER__" + key, "0");
        }
        env.put("IMCLUSTER__BIND_ADDRESS", "127.0.0.1");
        return env;
    }

    @Test
    void standaloneStartsServesAndStops() throws Exception {
        Map<String, String> env = new HashMap<>();
        for (String key : new String[] {"ADMIN__PORT", "LOGIC__HTTP__PORT", "LOGIC__GRPC__PORT", "COMET__TCP__PORT",
                "COMET__WEBSOCKET__PORT", "COMET__GRPC__PORT", "COMET__PUBSUB_GRPC__PORT"}) {
            env.put("IMCLUSTER__" + key, "0");
        }
        env.put("IMCLUSTER__SERVER_ID", "standalone-test");
        Main.Launched launched = Main.launch(new String[] {"standalone"}, env, err);
        assertThat(launched.exitCode()).as(err()).isZero();
        try (BrokerProcess process = launched.process()) {
            assertThat(process.context().serverId()).isEqualTo("standalone-test");
            assertThat(process.role(LogicRole.class)).isPresent();
            assertThat(process.role(JobRole.class)).isPresent();
            assertThat(process.context().config().logic.auth.mode.name()).isEqualTo("goim");
            assertThat(process.context().config().bindAddress).as("trust-the-JSON auth listens on loopback only")
                    .isEqualTo("127.0.0.1");
            assertThat(get("http://127.0.0.1:" + process.adminPort() + "/readyz").statusCode()).isEqualTo(200);
            assertThat(get("http://127.0.0.1:" + process.adminPort() + "/metrics").body())
                    .contains("jvm_memory_used_bytes").contains("imcluster_job_comets");
        }
    }
}
