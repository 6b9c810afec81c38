package dev.imcluster.operator.testing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/** The repository's examples/ and crds/, read strictly. */
public final class Examples {
    public static final List<String> NAMES = List.of("quickstart.yaml", "kafka.yaml", "nats.yaml", "mqtt.yaml", "production.yaml");
    /** Unknown fields fail, as a structural schema without x-kubernetes-preserve-unknown-fields prunes them. */
    public static final ObjectMapper STRICT = JsonMapper.builder(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private Examples() {
    }

    public static Path repoRoot() {
        return Path.of(System.getProperty("imcluster.repoRoot", "..")).toAbsolutePath().normalize();
    }

    public static String text(String name) {
        try {
            return Files.readString(repoRoot().resolve("examples").resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The example as a resource in namespace "demo", with a uid, as the API server would hand it over. */
    public static PubSubCluster load(String name) {
        try {
            PubSubCluster c = STRICT.readValue(text(name), PubSubCluster.class);
            c.getMetadata().setNamespace("demo");
            c.getMetadata().setUid(UUID.nameUUIDFromBytes(name.getBytes()).toString());
            c.getMetadata().setGeneration(1L);
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Broker config keys (spec.config, spec.&lt;role&gt;.config) written as YAML. */
    public static java.util.Map<String, com.fasterxml.jackson.databind.JsonNode> config(String yaml) {
        try {
            return STRICT.readValue(yaml, new com.fasterxml.jackson.core.type.TypeReference<>() { });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A deep copy, to edit without touching the original. */
    public static PubSubCluster copy(PubSubCluster c) {
        try {
            return STRICT.readValue(STRICT.writeValueAsString(c), PubSubCluster.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
