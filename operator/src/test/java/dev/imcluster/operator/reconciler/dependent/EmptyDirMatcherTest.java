package dev.imcluster.operator.reconciler.dependent;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.model.OperatorConfig;
import dev.imcluster.operator.model.RedisModel;
import dev.imcluster.operator.testing.Examples;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class EmptyDirMatcherTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> volumes(Map<String, Object> sts) {
        return (List<Map<String, Object>>) ((Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>)
                sts.get("spec")).get("template")).get("spec")).get("volumes");
    }

    @Test
    void emptyEmptyDirIsComparedAsAbsentAndOtherVolumesAreKept() {
        PubSubCluster c = Examples.load("quickstart.yaml");
        Map<String, Object> desired = JSON.convertValue(RedisModel.statefulSet(c, OperatorConfig.defaults()),
                new TypeReference<>() { });
        assertThat(volumes(desired)).anySatisfy(v -> assertThat(v).containsEntry("emptyDir", Map.of()));

        EmptyDirMatcher.dropEmptyEmptyDirs(desired);

        assertThat(volumes(desired)).hasSize(2)
                .anySatisfy(v -> assertThat(v).containsOnlyKeys("name").containsEntry("name", "data"))
                .anySatisfy(v -> assertThat(v).containsKey("secret"));
    }

    @Test
    void emptyDirWithFieldsIsKept() {
        Map<String, Object> sts = JSON.convertValue(Map.of("spec", Map.of("template", Map.of("spec", Map.of(
                "volumes", List.of(new java.util.HashMap<>(Map.of("name", "tmp",
                        "emptyDir", Map.of("sizeLimit", "256Mi")))))))), new TypeReference<>() { });
        EmptyDirMatcher.dropEmptyEmptyDirs(sts);
        assertThat(volumes(sts).get(0)).containsEntry("emptyDir", Map.of("sizeLimit", "256Mi"));
    }
}
