package dev.imcluster.operator.reconciler.dependent;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.SSABasedGenericKubernetesResourceMatcher;

import java.util.List;
import java.util.Map;

/**
 * JOSDK's server-side-apply matcher, except that an empty {@code emptyDir: {}} volume source in the desired pod
 * template is compared as absent. The matcher keeps only the live object's fields that the operator's managed fields
 * list, and it drops {@code f:emptyDir: {}} (an empty set of owned sub-fields) while the desired state keeps the empty
 * map: such a StatefulSet never matched, so every reconciliation sent an apply patch for it (one API call per cluster
 * per reconcile, seen as the redis StatefulSet "Updating" on every no-op reconcile of a restarted operator).
 */
public class EmptyDirMatcher<R extends HasMetadata> extends SSABasedGenericKubernetesResourceMatcher<R> {

    @Override
    protected boolean matches(Map<String, Object> actualMap, Map<String, Object> desiredMap, R actual, R desired,
                              Context<?> context) {
        dropEmptyEmptyDirs(desiredMap);
        return super.matches(actualMap, desiredMap, actual, desired, context);
    }

    /** Removes {@code emptyDir: {}} from spec.template.spec.volumes[*] of a serialized workload. */
    @SuppressWarnings("unchecked")
    static void dropEmptyEmptyDirs(Map<String, Object> object) {
        if (object.get("spec") instanceof Map<?, ?> spec && spec.get("template") instanceof Map<?, ?> template
                && template.get("spec") instanceof Map<?, ?> podSpec && podSpec.get("volumes") instanceof List<?> vs) {
            for (Object v : vs) {
                if (v instanceof Map<?, ?> volume && volume.get("emptyDir") instanceof Map<?, ?> dir && dir.isEmpty()) {
                    ((Map<String, Object>) volume).remove("emptyDir");
                }
            }
        }
    }
}
