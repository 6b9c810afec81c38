package dev.imcluster.operator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imcluster.operator.model.SpecValidation;
import dev.imcluster.operator.testing.Examples;
import dev.imcluster.operator.testing.SchemaValidator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The committed CRD is the generated one, and every example is accepted by its schema. */
class CrdTest {
    static final String CRD_FILE = "pubsubclusters.pubsub.imcluster.dev-v1.yml";

    static Path generated() {
        return Path.of("target/classes/META-INF/fabric8", CRD_FILE);
    }

    static Path committed() {
        return Examples.repoRoot().resolve("crds").resolve(CRD_FILE);
    }

    @Test
    void committedCrdMatchesTheGeneratedOne() throws IOException {
        assertThat(Files.exists(generated())).as("the crd-generator plugin output " + generated()).isTrue();
        assertThat(Files.readString(committed()))
                .as("crds/" + CRD_FILE + " is stale. Refresh it with:\n  mvn -pl operator -am process-classes && cp "
                        + "operator/target/classes/META-INF/fabric8/" + CRD_FILE + " crds/")
                .isEqualTo(Files.readString(generated()));
    }

    @Test
    void crdHasTheNamesPrinterColumnsAndStatusSubresource() throws IOException {
        JsonNode crd = Examples.STRICT.readTree(committed().toFile());
        assertThat(crd.at("/spec/group").asText()).isEqualTo("pubsub.imcluster.dev");
        assertThat(crd.at("/spec/scope").asText()).isEqualTo("Namespaced");
        assertThat(crd.at("/spec/names/shortNames/0").asText()).isEqualTo("psc");
        JsonNode version = crd.at("/spec/versions/0");
        assertThat(version.at("/name").asText()).isEqualTo("v1alpha1");
        assertThat(version.at("/subresources/status").isObject()).isTrue();
        assertThat(crd.at("/spec/names/categories")).extracting(JsonNode::asText).containsExactly("imcluster");
        Map<String, String> shown = new LinkedHashMap<>();
        Map<String, String> wide = new LinkedHashMap<>();
        version.at("/additionalPrinterColumns").forEach(c -> (c.path("priority").asInt() == 0 ? shown : wide)
                .put(c.get("name").asText(), c.get("jsonPath").asText()));
        // kubectl get psc: NAME AGE BACKEND COMETS READY PHASE (the generator orders columns by JSON path).
        assertThat(shown).containsOnly(
                Map.entry("Ready", ".status.conditions[?(@.type==\"Ready\")].status"),
                Map.entry("Backend", ".status.backend.active"),
                Map.entry("Comets", ".status.comet.ready"),
                Map.entry("Phase", ".status.phase"),
                Map.entry("Age", ".metadata.creationTimestamp"));
        assertThat(wide).containsOnly(Map.entry("Logic", ".status.logic.ready"), Map.entry("Job", ".status.job.ready"));
        version.at("/additionalPrinterColumns").forEach(c -> {
            String[] path = c.get("jsonPath").asText().replaceAll("\\[.*", "").substring(1).split("\\.");
            if (path[0].equals("status")) {
                JsonNode s = version.at("/schema/openAPIV3Schema");
                for (String p : path) {
                    s = s.path("properties").path(p);
                }
                assertThat(s.isMissingNode()).as(c + " names a status field the schema has").isFalse();
            }
        });
        assertThat(version.at("/schema/openAPIV3Schema/properties/spec/properties/mq/x-kubernetes-validations/0/rule")
                .asText()).contains("bootstrapServers");
    }

    /**
     * kubectl explain has text for every field of spec and status: every property has a description. An embedded
     * Kubernetes type (affinity, env, security contexts...) says where its own fields are documented (a "See kubectl
     * explain" pointer) and is not walked further; its fields are Kubernetes' own, without descriptions in fabric8's
     * model.
     */
    @Test
    void everyFieldHasAnExplanation() throws IOException {
        JsonNode root = Examples.STRICT.readTree(committed().toFile()).at("/spec/versions/0/schema/openAPIV3Schema");
        List<String> missing = new ArrayList<>();
        List<String> embedded = new ArrayList<>();
        for (String top : List.of("spec", "status")) {
            described("." + top, root.path("properties").path(top), missing, embedded);
        }
        assertThat(missing).as("properties without a description (@JsonPropertyDescription)").isEmpty();
        assertThat(embedded).as("embedded Kubernetes types, pointed at their own documentation")
                .contains(".spec.comet.podTemplate.affinity", ".spec.logic.podTemplate.env",
                        ".spec.redis.managed.podTemplate.securityContext", ".spec.mq.nats.podTemplate.sidecars",
                        ".spec.job.resources", ".status.conditions");
    }

    private static void described(String at, JsonNode schema, List<String> missing, List<String> embedded) {
        schema.path("properties").fields().forEachRemaining(e -> {
            String here = at + "." + e.getKey();
            String text = e.getValue().path("description").asText("");
            if (text.isBlank()) {
                missing.add(here);
            }
            if (text.contains(dev.imcluster.operator.api.v1alpha1.PodTemplateOverrides.EXPLAIN)) {
                embedded.add(here);
                return;
            }
            described(here, e.getValue(), missing, embedded);
            described(here + "[]", e.getValue().path("items"), missing, embedded);
            described(here + "{}", e.getValue().path("additionalProperties"), missing, embedded);
        });
    }

    static Iterable<String> examples() {
        return Examples.NAMES;
    }

    @ParameterizedTest
    @MethodSource("examples")
    void exampleIsAcceptedByTheSchema(String example) throws IOException {
        JsonNode schema = Examples.STRICT.readTree(committed().toFile())
                .at("/spec/versions/0/schema/openAPIV3Schema");
        ObjectNode doc = (ObjectNode) Examples.STRICT.readTree(Examples.text(example));
        assertThat(doc.get("apiVersion").asText()).isEqualTo("pubsub.imcluster.dev/v1alpha1");
        assertThat(doc.get("kind").asText()).isEqualTo("PubSubCluster");
        doc.remove(List.of("apiVersion", "kind", "metadata"));
        assertThat(SchemaValidator.validate(schema, doc)).isEmpty();
        assertThat(SpecValidation.problems(Examples.load(example))).isEmpty();
    }

    @Test
    void schemaRejectsMqttUrlsTopicsAndVersionsTheBrokerCannotUse() throws IOException {
        JsonNode schema = Examples.STRICT.readTree(committed().toFile())
                .at("/spec/versions/0/schema/openAPIV3Schema");
        JsonNode bad = Examples.STRICT.readTree("""
                spec:
                  mq: {backend: mqtt, mqtt: {url: 'mqtt://m:1883', protocolVersion: 6, topic: 'goim/#',
                       clientIdPrefix: 'a b'}}
                """);
        assertThat(SchemaValidator.validate(schema, bad)).containsExactlyInAnyOrder(
                ".spec.mq.mqtt.url: 'mqtt://m:1883' does not match ^(tcp|ssl)://[^\\s]+$",
                ".spec.mq.mqtt.protocolVersion: 6 is above the maximum 5.0",
                ".spec.mq.mqtt.topic: 'goim/#' does not match ^[^$#+\\s][^#+\\s]*$",
                ".spec.mq.mqtt.clientIdPrefix: 'a b' does not match ^[A-Za-z0-9_-]+$");
    }

    @Test
    void schemaRejectsUnknownFieldsBadEnumsAndBounds() throws IOException {
        JsonNode schema = Examples.STRICT.readTree(committed().toFile())
                .at("/spec/versions/0/schema/openAPIV3Schema");
        JsonNode bad = Examples.STRICT.readTree("""
                spec:
                  comet: {replicas: -1, replicaz: 2}
                  mq: {backend: rabbitmq}
                  job: {roomBatch: {maxMessages: 0, maxDelay: soon}}
                """);
        assertThat(SchemaValidator.validate(schema, bad)).containsExactlyInAnyOrder(
                ".spec.comet.replicas: -1 is below the minimum 0.0",
                ".spec.comet.replicaz: unknown field",
                ".spec.mq.backend: \"rabbitmq\" is not one of [\"kafka\",\"mqtt\",\"nats\",\"redis\"]",
                ".spec.job.roomBatch.maxMessages: 0 is below the minimum 1.0",
                ".spec.job.roomBatch.maxDelay: 'soon' does not match ^([0-9]+(ms|s|m|h))+$");
    }

    /** spec.delivery's bounds are the broker's (ConfigValidator.delivery); the CEL rules add what no bound can say. */
    @Test
    void schemaBoundsDeliveryAsTheBrokerDoes() throws IOException {
        JsonNode schema = Examples.STRICT.readTree(committed().toFile())
                .at("/spec/versions/0/schema/openAPIV3Schema");
        JsonNode bad = Examples.STRICT.readTree("""
                spec:
                  delivery:
                    history:
                      - {pattern: '', size: 0, ttl: 5 minutes}
                      - {pattern: '%s', size: 1000001}
                      - {size: 1, ttl: 1h}
                    dedupe: {window: forever, maxIds: 67108865}
                """.formatted("x".repeat(257)));
        assertThat(SchemaValidator.validate(schema, bad)).containsExactlyInAnyOrder(
                ".spec.delivery.history[0].pattern: shorter than 1 characters",
                ".spec.delivery.history[0].size: 0 is below the minimum 1.0",
                ".spec.delivery.history[0].ttl: '5 minutes' does not match ^([0-9]+(ms|s|m|h))+$",
                ".spec.delivery.history[1].pattern: longer than 256 characters",
                ".spec.delivery.history[1].size: 1000001 is above the maximum 1000000.0",
                ".spec.delivery.history[2].pattern: Required value",
                ".spec.delivery.dedupe.window: 'forever' does not match ^([0-9]+(ms|s|m|h))+$",
                ".spec.delivery.dedupe.maxIds: 67108865 is above the maximum 6.7108864E7");
        assertThat(SchemaValidator.validate(schema, Examples.STRICT.readTree(
                "spec: {delivery: {history: [" + patterns(65) + "]}}")))
                .containsExactly(".spec.delivery.history: more than 64 items");
        JsonNode edges = Examples.STRICT.readTree("""
                spec:
                  delivery:
                    history:
                      - {pattern: '%s', size: 1000000, ttl: 1ms}
                      - {pattern: '*', size: 1}
                    dedupe: {window: 90m, maxIds: 67108864}
                """.formatted("x".repeat(256)));
        assertThat(SchemaValidator.validate(schema, edges)).isEmpty();
        assertThat(SchemaValidator.validate(schema, Examples.STRICT.readTree(
                "spec: {delivery: {history: [" + patterns(64) + "], dedupe: {maxIds: 0}}}")))
                .isEmpty();
    }

    /** spec.comet.limits and spec.logic.limits are bounded as the broker's ConfigValidator bounds its rate limits. */
    @Test
    void schemaBoundsLimitsAsTheBrokerDoes() throws IOException {
        JsonNode schema = Examples.STRICT.readTree(committed().toFile())
                .at("/spec/versions/0/schema/openAPIV3Schema");
        JsonNode bad = Examples.STRICT.readTree("""
                spec:
                  comet:
                    limits: {connectsPerSecond: -1, connectBurst: 0, maxConnectionsPerAddress: 10000001,
                             publishesPerSecond: 1000000001, publishBurst: 0, publishesPerAddressPerSecond: -1,
                             publishPerAddressBurst: 1000000001}
                  logic:
                    limits: {pushesPerSecond: -1, pushBurst: 0}
                """);
        assertThat(SchemaValidator.validate(schema, bad)).containsExactlyInAnyOrder(
                ".spec.comet.limits.connectsPerSecond: -1 is below the minimum 0.0",
                ".spec.comet.limits.connectBurst: 0 is below the minimum 1.0",
                ".spec.comet.limits.maxConnectionsPerAddress: 10000001 is above the maximum 1.0E7",
                ".spec.comet.limits.publishesPerSecond: 1000000001 is above the maximum 1.0E9",
                ".spec.comet.limits.publishBurst: 0 is below the minimum 1.0",
                ".spec.comet.limits.publishesPerAddressPerSecond: -1 is below the minimum 0.0",
                ".spec.comet.limits.publishPerAddressBurst: 1000000001 is above the maximum 1.0E9",
                ".spec.logic.limits.pushesPerSecond: -1 is below the minimum 0.0",
                ".spec.logic.limits.pushBurst: 0 is below the minimum 1.0");
        JsonNode edges = Examples.STRICT.readTree("""
                spec:
                  comet:
                    limits: {connectsPerSecond: 0, maxConnectionsPerAddress: 10000000, publishesPerSecond: 1000000000,
                             publishBurst: 1, publishesPerAddressPerSecond: 1, publishPerAddressBurst: 1000000000}
                  logic:
                    limits: {pushesPerSecond: 1, pushBurst: 1}
                """);
        assertThat(SchemaValidator.validate(schema, edges)).isEmpty();
    }

    /** {@code n} history entries in flow style, each pattern its own. */
    private static String patterns(int n) {
        return String.join(", ", java.util.stream.IntStream.range(0, n).mapToObj(i -> "{pattern: 'r" + i + "*'}")
                .toList());
    }
}
