package dev.imcluster.broker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    /** The default auth mode (jwt) needs key files; most tests here are about other keys. */
    private static final Map<String, String> GOIM_AUTH = Map.of("logic.auth.mode", "goim");

    @Test
    void jwtWithoutKeysIsRefusedByDefault() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("logic.auth.mode");
    }

    @TempDir
    Path dir;

    @Test
    void defaultsAreGoims() {
        BrokerConfig c = ConfigLoader.load(null, Map.of(), GOIM_AUTH);
        assertThat(c.comet.tcp.port).isEqualTo(3101);
        assertThat(c.comet.websocket.port).isEqualTo(3102);
        assertThat(c.comet.grpc.port).isEqualTo(3109);
        assertThat(c.logic.http.port).isEqualTo(3111);
        assertThat(c.logic.grpc.port).isEqualTo(3119);
        assertThat(c.job.roomBatch.maxMessages).isEqualTo(20);
        assertThat(c.mq.backend).isEqualTo(MqConfig.Backend.memory);
    }

    @Test
    void durationsTakeTheCrdsCompoundSyntax() throws Exception {
        Path file = write("broker.yaml", "job:\n  roomBatch:\n    maxDelay: 1m30s\ncomet:\n  drainTimeout: 1h2m3s4ms\n"
                + "delivery:\n  dedupe:\n    window: 90s\n");
        BrokerConfig c = ConfigLoader.load(file, Map.of(), GOIM_AUTH);
        assertThat(c.job.roomBatch.maxDelay).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.comet.drainTimeout).isEqualTo(Duration.ofHours(1).plusMinutes(2).plusSeconds(3).plusMillis(4));
        assertThat(c.delivery.dedupe.window).isEqualTo(Duration.ofSeconds(90));
        assertThatThrownBy(() -> ConfigLoader.load(write("bad.yaml", "comet:\n  drainTimeout: 1m30\n"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("comet.drainTimeout");
    }

    @Test
    void unknownKeyInFileIsNamed() throws Exception {
        Path file = write("broker.yaml", "logic:\n  http:\n    prot: 1\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("logic.http.prot");
    }

    @Test
    void everyUnknownKeyIsNamedAtOnceWithItsPath() {
        String yaml = "comet:\n  protocol:\n    sendQueueSiz: 1\n  tcpp: {port: 1}\n"
                + "delivery:\n  history:\n  - {pattern: '*', sizee: 3}\nnope: 1\n";
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, Map.of(), GOIM_AUTH))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigException.Problem::key)
                        .containsExactly("comet.protocol.sendQueueSiz", "comet.tcpp", "delivery.history[0].sizee", "nope"))
                .hasMessageContaining("comet.protocol.sendQueueSiz: unknown config key; known keys at that level: "
                        + "handshakeTimeout, heartbeatTimeout, maxBodySize, sendQueueSize, sessionRenewMax, sessionRenewMin");
    }

    @Test
    void validationProblemsCarryTheirKeys() {
        assertThatThrownBy(() -> ConfigLoader.parse("comet:\n  protocol:\n    sendQueueSize: 0\n  buckets: 0\n",
                Map.of(), GOIM_AUTH))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        new ConfigException.Problem("comet.buckets", "must be between 1 and 4096, got 0"),
                        new ConfigException.Problem("comet.protocol.sendQueueSize", "must be between 1 and 1048576, got 0")));
        assertThatThrownBy(() -> ConfigLoader.parse("job:\n  pushTimeout: soon\n", Map.of(), GOIM_AUTH))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .extracting(ConfigException.Problem::key).containsExactly("job.pushTimeout"));
    }

    @Test
    void roleDefaultsLetCometAndJobStartWithoutLogicsKeys() {
        assertThat(ConfigLoader.parse("", Map.of(), ConfigLoader.roleDefaults("comet")).logic.auth.mode)
                .isEqualTo(LogicConfig.AuthMode.goim);
        assertThat(ConfigLoader.parse("", Map.of(), ConfigLoader.roleDefaults("standalone")).bindAddress)
                .isEqualTo("127.0.0.1");
        assertThatThrownBy(() -> ConfigLoader.parse("", Map.of(), ConfigLoader.roleDefaults("logic")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("logic.auth.mode");
    }

    @Test
    void unknownKeyInEnvIsNamed() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("IMCLUSTER__JOB__ROOM_BATCH__MAX_MSGS", "3")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("IMCLUSTER__JOB__ROOM_BATCH__MAX_MSGS").hasMessageContaining("MAX_MSGS");
    }

    @Test
    void presencePatternsLoadAndAnEmptyOneIsNamed() throws Exception {
        Map<String, String> goim = Map.of("IMCLUSTER__LOGIC__AUTH__MODE", "goim");
        BrokerConfig c = ConfigLoader.load(write("broker.yaml", "delivery:\n  presence: ['chat://*', 'live://1']\n"),
                goim);
        assertThat(c.delivery.presence).containsExactly("chat://*", "live://1");
        assertThat(ConfigLoader.load(null, goim).delivery.presence).as("off by default").isEmpty();
        assertThatThrownBy(() -> ConfigLoader.load(write("broker.yaml", "delivery:\n  presence: ['']\n"), goim))
                .isInstanceOf(ConfigException.class).hasMessageContaining("delivery.presence[0]");
    }

    @Test
    void badValueIsNamed() throws Exception {
        Path file = write("broker.yaml", "job:\n  roomBatch:\n    maxDelay: soon\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("job.roomBatch.maxDelay");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("IMCLUSTER__COMET__BUCKETS", "many")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("comet.buckets");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("IMCLUSTER__MQ__BACKEND", "rabbit")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("mq.backend");
    }

    @Test
    void outOfRangeIsNamed() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("IMCLUSTER__LOGIC__HTTP__PORT", "70000")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("logic.http.port");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("IMCLUSTER__JOB__ROOM_BATCH__MAX_MESSAGES", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("job.roomBatch.maxMessages");
        assertThatThrownBy(() -> ConfigLoader.parse("comet:\n  reconnectSpread: -1s\n", Map.of(), GOIM_AUTH))
                .isInstanceOf(ConfigException.class).hasMessageContaining("comet.reconnectSpread");
    }

    @Test
    void mqttIsOffUntilEnabledAndItsPacketLimitIsChecked() {
        BrokerConfig c = ConfigLoader.load(null, Map.of(), GOIM_AUTH);
        assertThat(c.comet.mqtt.enabled).isFalse();
        assertThat(c.comet.mqtt.port).isEqualTo(1883);
        assertThat(c.comet.mqtt.maxPacketSize).isEqualTo(8192);
        BrokerConfig on = ConfigLoader.load(null, Map.of("IMCLUSTER__COMET__MQTT__ENABLED", "true",
                "IMCLUSTER__COMET__MQTT__PORT", "8883"), GOIM_AUTH);
        assertThat(on.comet.mqtt.enabled).isTrue();
        assertThat(on.comet.mqtt.port).isEqualTo(8883);
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("IMCLUSTER__COMET__MQTT__MAX_PACKET_SIZE", "10"),
                GOIM_AUTH)).isInstanceOf(ConfigException.class).hasMessageContaining("comet.mqtt.maxPacketSize");
    }

    @Test
    void envOverridesAreTypedAndWinOverTheFile() throws Exception {
        Path file = write("broker.yaml", "logic:\n  http:\n    port: 4000\njob:\n  pushTimeout: 2s\n");
        BrokerConfig c = ConfigLoader.load(file, Map.of(
                "IMCLUSTER__LOGIC__HTTP__PORT", "4001",
                "imcluster__logic__http__enabled", "false",
                "IMCLUSTER__JOB__ROOM_BATCH__MAX_DELAY", "250ms",
                "IMCLUSTER__JOB__COMETS__ADDRESSES", "a=10.0.0.1:3109,b=10.0.0.2:3109",
                "OTHER_VAR", "ignored"), GOIM_AUTH);
        assertThat(c.logic.http.port).isEqualTo(4001);
        assertThat(c.logic.http.enabled).isFalse();
        assertThat(c.job.pushTimeout).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.job.roomBatch.maxDelay).isEqualTo(Duration.ofMillis(250));
        assertThat(c.job.comets.addresses).containsExactly("a=10.0.0.1:3109", "b=10.0.0.2:3109");
    }

    @Test
    void propertiesFile() throws Exception {
        Path file = write("broker.properties", "logic.grpc.port=4119\njob.comets.mode=dns\n"
                + "job.comets.dnsName=comet-headless\nserverId=me\n");
        BrokerConfig c = ConfigLoader.load(file, Map.of(), GOIM_AUTH);
        assertThat(c.logic.grpc.port).isEqualTo(4119);
        assertThat(c.job.comets.mode).isEqualTo(JobConfig.DiscoveryMode.DNS);
        assertThat(c.job.comets.dnsName).isEqualTo("comet-headless");
        assertThat(c.serverId).isEqualTo("me");
        Path bad = write("bad.properties", "logic.grpc.nope=1\n");
        assertThatThrownBy(() -> ConfigLoader.load(bad, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("logic.grpc.nope");
    }

    @Test
    void roleDefaultsSitUnderFileAndEnv() throws Exception {
        Map<String, String> standalone = Map.of("logic.auth.mode", "goim");
        assertThat(ConfigLoader.load(null, Map.of(), standalone).logic.auth.mode).isEqualTo(LogicConfig.AuthMode.goim);
        Path secret = write("secret", "0123456789abcdef0123456789abcdef");
        Path file = write("broker.yaml", "logic:\n  auth:\n    mode: jwt\n    hs256SecretFile: " + secret + "\n");
        assertThat(ConfigLoader.load(file, Map.of(), standalone).logic.auth.mode).isEqualTo(LogicConfig.AuthMode.jwt);
    }

    private Path write(String name, String text) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        return file;
    }
}
