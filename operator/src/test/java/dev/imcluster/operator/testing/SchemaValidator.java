package dev.imcluster.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks a document against a CRD's openAPIV3Schema the way the API server's structural validation does for the
 * parts that matter to examples: unknown fields (which the server would prune silently), types, int-or-string,
 * enums, patterns, lengths, bounds and required fields. CEL rules are not evaluated here: CrdCelRules does (and
 * SpecValidation mirrors them).
 */
public final class SchemaValidator {
    private SchemaValidator() {
    }

    public static List<String> validate(JsonNode schema, JsonNode value) {
        List<String> errors = new ArrayList<>();
        check(schema, value, "", errors);
        return errors;
    }

    private static void check(JsonNode schema, JsonNode v, String path, List<String> errors) {
        if (v == null || v.isNull()) {
            return;
        }
        if (schema.path("x-kubernetes-int-or-string").asBoolean(false)) {
            if (!v.isInt() && !v.isTextual()) {
                errors.add(path + ": must be an integer or a string");
            }
            return;
        }
        String type = schema.path("type").asText("");
        switch (type) {
            case "object" -> object(schema, v, path, errors);
            case "array" -> {
                if (!v.isArray()) {
                    errors.add(path + ": must be an array");
                    return;
                }
                if (schema.has("maxItems") && v.size() > schema.get("maxItems").asInt()) {
                    errors.add(path + ": more than " + schema.get("maxItems").asInt() + " items");
                }
                for (int i = 0; i < v.size(); i++) {
                    check(schema.path("items"), v.get(i), path + "[" + i + "]", errors);
                }
            }
            case "string" -> {
                if (!v.isTextual()) {
                    errors.add(path + ": must be a string, got " + v);
                    return;
                }
                if (schema.has("maxLength") && v.asText().codePointCount(0, v.asText().length())
                        > schema.get("maxLength").asInt()) {
                    errors.add(path + ": longer than " + schema.get("maxLength").asInt() + " characters");
                }
                if (schema.has("minLength") && v.asText().codePointCount(0, v.asText().length())
                        < schema.get("minLength").asInt()) {
                    errors.add(path + ": shorter than " + schema.get("minLength").asInt() + " characters");
                }
                if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asText()).matcher(v.asText()).find()) {
                    errors.add(path + ": '" + v.asText() + "' does not match " + schema.get("pattern").asText());
                }
            }
            case "integer" -> {
                if (!v.isIntegralNumber()) {
                    errors.add(path + ": must be an integer, got " + v);
                }
            }
            case "number" -> {
                if (!v.isNumber()) {
                    errors.add(path + ": must be a number, got " + v);
                }
            }
            case "boolean" -> {
                if (!v.isBoolean()) {
                    errors.add(path + ": must be a boolean, got " + v);
                }
            }
            default -> { }
        }
        if (schema.has("enum")) {
            boolean found = false;
            for (JsonNode e : schema.get("enum")) {
                found |= e.equals(v);
            }
            if (!found) {
                errors.add(path + ": " + v + " is not one of " + schema.get("enum"));
            }
        }
        if (schema.has("minimum") && v.isNumber() && v.asDouble() < schema.get("minimum").asDouble()) {
            errors.add(path + ": " + v + " is below the minimum " + schema.get("minimum"));
        }
        if (schema.has("maximum") && v.isNumber() && v.asDouble() > schema.get("maximum").asDouble()) {
            errors.add(path + ": " + v + " is above the maximum " + schema.get("maximum"));
        }
    }

    private static void object(JsonNode schema, JsonNode v, String path, List<String> errors) {
        if (!v.isObject()) {
            errors.add(path + ": must be an object");
            return;
        }
        for (JsonNode r : schema.path("required")) {
            if (!v.has(r.asText())) {
                errors.add(path + "." + r.asText() + ": Required value");
            }
        }
        boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        JsonNode props = schema.get("properties");
        JsonNode additional = schema.get("additionalProperties");
        for (Map.Entry<String, JsonNode> f : v.properties()) {
            String p = path + "." + f.getKey();
            if (props != null && props.has(f.getKey())) {
                check(props.get(f.getKey()), f.getValue(), p, errors);
            } else if (additional != null && additional.isObject()) {
                check(additional, f.getValue(), p, errors);
            } else if (!preserve && (props != null || additional != null)) {
                errors.add(p + ": unknown field");
            }
        }
    }
}
