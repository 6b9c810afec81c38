package dev.imcluster.operator.model;

import java.util.List;
import java.util.Map;

import static dev.imcluster.operator.model.SpecValidation.shorten;

/** Label and annotation keys and values as the API server accepts them. */
final class MetadataValidation {
    private MetadataValidation() {
    }

    static void labels(String at, Map<String, String> labels, List<String> p) {
        labels.forEach((k, v) -> {
            if (!KubeSyntax.isQualifiedName(k)) {
                p.add(at + ": '" + shorten(k) + "' is not a valid label key");
            } else if (!KubeSyntax.isLabelValue(v)) {
                p.add(at + "." + k + ": '" + shorten(v) + "' is not a valid label value (at most 63 letters, digits, "
                        + "'-', '_' and '.', starting and ending with a letter or digit)");
            }
        });
    }

    static void annotations(String at, Map<String, String> annotations, List<String> p) {
        annotations.keySet().stream().filter(k -> !KubeSyntax.isQualifiedName(k))
                .forEach(k -> p.add(at + ": '" + shorten(k) + "' is not a valid annotation key"));
        long bytes = KubeSyntax.annotationBytes(annotations);
        if (bytes > KubeSyntax.ANNOTATIONS_MAX_BYTES) {
            p.add(at + " total " + bytes + " bytes; the API server accepts at most " + KubeSyntax.ANNOTATIONS_MAX_BYTES);
        }
    }
}
