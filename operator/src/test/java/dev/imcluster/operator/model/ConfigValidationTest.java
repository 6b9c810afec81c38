package dev.imcluster.operator.model;

import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.testing.Examples;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.imcluster.operator.testing.Examples.config;
import static org.assertj.core.api.Assertions.assertThat;

/** spec.config and spec.&lt;role&gt;.config: refused keys, and the broker's own loader run on each role's file. */
class ConfigValidationTest {

    private static PubSubCluster quickstart(String shared, String comet, String job) {
        PubSubCluster c = Examples.load("quickstart.yaml");
        c.getSpec().config = shared == null ? null : config(shared);
        c.getSpec().comet.config = comet == null ? null : config(comet);
        c.getSpec().job.config = job == null ? null : config(job);
        return c;
    }

    static Iterable<String> examples() {
        return Examples.NAMES;
    }

    /** Every example with a key each role reads set in spec.config and in its own config: nothing to report. */
    @ParameterizedTest
    @MethodSource("examples")
    void brokerSettingsWithoutATypedFieldAreAcceptedOnEveryExample(String example) {
        PubSubCluster c = Examples.load(example);
        c.getSpec().config = config("comet: {protocol: {sendQueueSize: 2048}}\nmq: {maxInFlight: 512}\n"
                + "redis: {commandTimeout: 2s}\nsecurity: {internalTls: {reloadInterval: 1m}}\n");
        c.getSpec().comet.config = config("comet: {buckets: 64}\nlogic: {auth: {jwksRefreshInterval: 10m}}\n");
        c.getSpec().logic.config = config("logic: {sessionTtl: 1h}\nmq: {publishTimeout: 5s}\n");
        c.getSpec().job.config = config("job: {pushTimeout: 3s}\nmq: {maxInFlight: 4096}\n");
        assertThat(SpecValidation.problems(c)).isEmpty();
    }

    @Test
    void aValueTheBrokerRefusesIsNamedWithTheFieldThatSetItOnce() {
        assertThat(SpecValidation.problems(quickstart(null, "comet: {protocol: {sendQueueSize: 0}}", null)))
                .containsExactly("spec.comet.config.comet.protocol.sendQueueSize: must be between 1 and 1048576, got 0");
        assertThat(SpecValidation.problems(quickstart("mq: {maxInFlight: 0}", null, null))).as("logic and job refuse it")
                .containsExactly("spec.config.mq.maxInFlight: must be between 1 and 1048576, got 0");
        assertThat(SpecValidation.problems(quickstart("job: {pushTimeout: soon}", null, null)))
                .singleElement().asString().startsWith("spec.config.job.pushTimeout: bad value: ");
    }

    @Test
    void everyUnknownKeyIsNamedAtOnce() {
        assertThat(SpecValidation.problems(quickstart("comet: {protocol: {sendQueueSiz: 1}}\nnope: 1\n", null,
                "job: {pushTimeot: 1s}"))).containsExactly(
                "spec.config.comet.protocol.sendQueueSiz: unknown config key; known keys at that level: "
                        + "handshakeTimeout, heartbeatTimeout, maxBodySize, sendQueueSize, sessionRenewMax, sessionRenewMin",
                "spec.config.nope: unknown config key; known keys at that level: admin, bindAddress, comet, delivery, "
                        + "job, logic, mq, redis, security, serverId",
                "spec.job.config.job.pushTimeot: unknown config key; known keys at that level: comets, group, "
                        + "pushTimeout, roomBatch, roomIdleTimeout");
    }

    @Test
    void aRuleAcrossKeysNamesTheLayerThatBrokeIt() {
        // sessionRenewMin above the default sessionRenewMax: the broker names the key it checks, not the one set.
        assertThat(SpecValidation.problems(quickstart(null, "comet: {protocol: {sessionRenewMin: 40m}}", null)))
                .containsExactly("spec.comet.config: comet.protocol.sessionRenewMax: must not be less than "
                        + "comet.protocol.sessionRenewMin");
        // comet's own key mends its file, but logic and job load the shared file, whole: spec.config is still blamed.
        assertThat(SpecValidation.problems(quickstart("comet: {protocol: {sessionRenewMin: 40m}}",
                "comet: {protocol: {sessionRenewMax: 1h}}", null))).containsExactly("spec.config: "
                + "comet.protocol.sessionRenewMax: must not be less than comet.protocol.sessionRenewMin");
    }

    @Test
    void keysTheOperatorSetsAreRefusedWithTheFieldToUse() {
        assertThat(SpecValidation.problems(quickstart("comet: {tcp: {port: 4000}, maxConnections: 5}\n"
                + "mq: {backend: kafka, kafka: {properties: {security.protocol: SSL, compression.type: lz4}}}\n",
                "security: {internalTokenFile: /tmp/t}", null))).containsExactly(
                "spec.config.comet.tcp.port: set by the operator: comet's Services and container ports use it",
                "spec.config.comet.maxConnections: set spec.comet.maxConnections instead",
                "spec.config.mq.backend: set spec.mq.backend instead",
                "spec.config.mq.kafka.properties.security.protocol: set spec.mq.kafka.tls and "
                        + "spec.mq.kafka.authSecretRef instead",
                "spec.comet.config.security.internalTokenFile: set spec.auth.internalTokenSecretRef instead");
        assertThat(SpecValidation.problems(quickstart("comet: {tls: on}", null, null)))
                .containsExactly("spec.config.comet.tls: replaces comet.tls.certFile, set spec.tls.secretName instead");
        assertThat(SpecValidation.problems(quickstart("delivery: {presence: ['*']}", null, null)))
                .containsExactly("spec.config.delivery.presence: set spec.delivery instead");
        assertThat(SpecValidation.problems(quickstart("mq: {mqtt: {url: 'tcp://m:1883', passwordFile: /p}}\n"
                + "comet: {mqtt: {enabled: true, port: 1884}}", null, null))).containsExactlyInAnyOrder(
                "spec.config.comet.mqtt.enabled: set spec.comet.mqtt.enabled instead",
                "spec.config.comet.mqtt.port: set by the operator: comet's Services and container ports use it",
                "spec.config.mq.mqtt.url: set spec.mq.mqtt.url or spec.mq.mqtt.managed instead",
                "spec.config.mq.mqtt.passwordFile: set spec.mq.mqtt.authSecretRef instead");
    }

    @Test
    void aRolesConfigHoldsOnlyWhatTheRoleReads() {
        assertThat(SpecValidation.problems(quickstart(null, "mq: {maxInFlight: 5}\nlogic: {sessionTtl: 1h}", null)))
                .containsExactly(
                        "spec.comet.config.mq.maxInFlight: comet does not read it; set it in spec.config or "
                                + "spec.logic.config or spec.job.config",
                        "spec.comet.config.logic.sessionTtl: comet does not read it; set it in spec.config or "
                                + "spec.logic.config");
        assertThat(SpecValidation.problems(quickstart(null, null, "comet: {buckets: 5}")))
                .containsExactly("spec.job.config.comet.buckets: job does not read it; set it in spec.config or "
                        + "spec.comet.config");
    }

    @Test
    void aNullIsRefused() {
        assertThat(SpecValidation.problems(quickstart("comet: {protocol: null}", null, null)))
                .containsExactly("spec.config.comet.protocol is null: leave the key out to keep the broker's default");
    }

    /**
     * Whatever the operator renders is either refused in spec.config (owned) or a setting it only spells out:
     * so a key added to the rendering without an entry in ConfigValidation.OWNED fails here.
     */
    @ParameterizedTest
    @MethodSource("examples")
    void everyKeyTheOperatorRendersIsOwned(String example) {
        Map<String, Object> tree = BrokerConfigRenderer.tree(Examples.load(example));
        List<String> free = new ArrayList<>();
        collect(List.of(), tree, free);
        assertThat(free).as("rendered keys a spec.config may change").isSubsetOf("mq.nats.mode");
    }

    @SuppressWarnings("unchecked")
    private static void collect(List<String> path, Object node, List<String> free) {
        if (node instanceof Map<?, ?> m && !m.isEmpty()) {
            ((Map<String, Object>) m).forEach((k, v) -> {
                List<String> child = new ArrayList<>(path);
                child.add(k);
                collect(child, v, free);
            });
        } else if (ConfigValidation.OWNED.keySet().stream()
                .noneMatch(o -> path.size() >= o.size() && path.subList(0, o.size()).equals(o))) {
            free.add(String.join(".", path));
        }
    }
}
