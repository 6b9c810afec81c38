package dev.imcluster.operator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.common.collect.ImmutableCollection;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.navigation.CelNavigableAst;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerBuilder;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The CRD's {@code x-kubernetes-validations} rules, compiled and evaluated with cel-java as an API server of 1.25 or
 * later does: each rule where it sits in the openAPIV3Schema, {@code self} bound to the object's value there (JSON as
 * CEL maps, lists, strings, ints; absent fields absent, so {@code has()} answers as on the server; schema defaults
 * applied first, as the server does before validating), and {@code oldSelf} to the old object's value at the same
 * place for transition rules, which run only on an update and only where that old value exists.
 */
public final class CrdCelRules {
    /**
     * A rule as found in the schema: {@code path} is where it sits ({@code [*]} an item, {@code {*}} a map value),
     * {@code reads} the fields it selects below self or oldSelf (dotted, relative to {@code schema}).
     */
    public record Rule(String path, String expression, String message, boolean transition, boolean iterates,
                       List<String> reads, JsonNode schema, CelRuntime.Program program) {
        @Override
        public String toString() {
            return path + ": " + message;
        }
    }

    public enum Outcome { PASS, FAIL, ERROR }

    /** One evaluation of a rule on one value ({@code at} names the value, items by index). */
    public record Verdict(Rule rule, String at, Outcome outcome, String detail) {
    }

    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

    private final JsonNode root;
    private final List<Rule> rules = new ArrayList<>();
    private final Map<String, List<Rule>> byPath = new HashMap<>();
    private final Map<String, JsonNode> schemas = new HashMap<>();

    private CrdCelRules(JsonNode openApiV3Schema) {
        this.root = openApiV3Schema;
        collect(root, "");
    }

    /** The rules of crds/pubsubclusters.pubsub.imcluster.dev-v1.yml (the generated CRD, the one users install). */
    public static CrdCelRules ofPubSubClusterCrd() {
        Path crd = Examples.repoRoot().resolve("crds/pubsubclusters.pubsub.imcluster.dev-v1.yml");
        try {
            return new CrdCelRules(Examples.STRICT.readTree(crd.toFile()).at("/spec/versions/0/schema/openAPIV3Schema"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The openAPIV3Schema the rules were read from. */
    public JsonNode schema() {
        return root;
    }

    public List<Rule> rules() {
        return rules;
    }

    /**
     * Why the API server would refuse this rule at {@code path} in the CRD, or empty: the rule is type-checked against
     * the types the schema gives {@code self} (objects as structs, so a misspelt field is an error), must yield a
     * bool, and may use only the standard CEL library and macros (no Kubernetes library function is declared, so a
     * rule that uses one is refused here until it is declared).
     */
    public Optional<String> typeError(String path, String expression) {
        JsonNode schema = schemas.get(path);
        if (schema == null) {
            return Optional.of("no schema at " + path);
        }
        Map<String, CelType> structs = new LinkedHashMap<>();
        CelType selfType = type(schema, "self" + (path.isEmpty() ? "" : "." + path), structs);
        CelValidationResult typed = compiler(selfType, structs).compile(expression);
        return typed.hasError() ? Optional.of(typed.getErrorString()) : Optional.empty();
    }

    /** Every rule evaluated on {@code object}, and its transition rules against {@code oldObject} when not null. */
    public List<Verdict> evaluate(JsonNode object, JsonNode oldObject) {
        List<Verdict> out = new ArrayList<>();
        walk(root, "", withDefaults(root, object.deepCopy()),
                oldObject == null ? null : withDefaults(root, oldObject.deepCopy()), "", out);
        return out;
    }

    private void collect(JsonNode schema, String path) {
        schemas.put(path, schema);
        for (JsonNode v : schema.path("x-kubernetes-validations")) {
            String expression = v.path("rule").asText();
            Rule rule = compile(path, expression, v.path("message").asText(expression), schema);
            rules.add(rule);
            byPath.computeIfAbsent(path, k -> new ArrayList<>()).add(rule);
        }
        schema.path("properties").properties().forEach(p -> collect(p.getValue(), join(path, p.getKey())));
        if (schema.has("items")) {
            collect(schema.get("items"), path + "[*]");
        }
        if (schema.path("additionalProperties").isObject()) {
            collect(schema.get("additionalProperties"), path + "{*}");
        }
    }

    private Rule compile(String path, String expression, String message, JsonNode schema) {
        CelAbstractSyntaxTree ast;
        try {
            ast = compiler(SimpleType.DYN, null).compile(expression).getAst();
        } catch (CelValidationException e) {
            throw new IllegalStateException("rule at " + path + " does not parse: " + e.getMessage(), e);
        }
        boolean transition = idents(ast).contains("oldSelf");
        boolean iterates = CelNavigableAst.fromAst(ast).getRoot().allNodes()
                .anyMatch(n -> n.getKind() == CelExpr.ExprKind.Kind.COMPREHENSION);
        try {
            return new Rule(path, expression, message, transition, iterates, reads(ast), schema,
                    RUNTIME.createProgram(ast));
        } catch (CelEvaluationException e) {
            throw new IllegalStateException("rule at " + path + ": " + e.getMessage(), e);
        }
    }

    private static CelCompiler compiler(CelType selfType, Map<String, CelType> structs) {
        CelCompilerBuilder b = CelCompilerFactory.standardCelCompilerBuilder()
                .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                .addVar("self", selfType).addVar("oldSelf", selfType)
                .setResultType(SimpleType.BOOL);
        if (structs != null) {
            b.setTypeProvider(new CelTypeProvider() {
                @Override
                public ImmutableCollection<CelType> types() {
                    return ImmutableList.copyOf(structs.values());
                }

                @Override
                public Optional<CelType> findType(String name) {
                    return Optional.ofNullable(structs.get(name));
                }
            });
        }
        return b.build();
    }

    private static ImmutableSet<String> idents(CelAbstractSyntaxTree ast) {
        return CelNavigableAst.fromAst(ast).getRoot().allNodes()
                .filter(n -> n.getKind() == CelExpr.ExprKind.Kind.IDENT)
                .map(n -> n.expr().ident().name()).collect(ImmutableSet.toImmutableSet());
    }

    /** Each chain of field selections that starts at self or oldSelf, as a dotted path ("kafka.bootstrapServers"). */
    private static List<String> reads(CelAbstractSyntaxTree ast) {
        return CelNavigableAst.fromAst(ast).getRoot().allNodes()
                .filter(n -> n.getKind() == CelExpr.ExprKind.Kind.SELECT)
                .map(n -> {
                    List<String> fields = new ArrayList<>();
                    CelExpr e = n.expr();
                    while (e.exprKind().getKind() == CelExpr.ExprKind.Kind.SELECT) {
                        fields.add(0, e.select().field());
                        e = e.select().operand();
                    }
                    boolean fromSelf = e.exprKind().getKind() == CelExpr.ExprKind.Kind.IDENT
                            && (e.ident().name().equals("self") || e.ident().name().equals("oldSelf"));
                    return fromSelf ? String.join(".", fields) : null;
                })
                .filter(java.util.Objects::nonNull).distinct().toList();
    }

    /** The CEL type Kubernetes gives a value of this schema (objects with properties become structs). */
    private static CelType type(JsonNode s, String name, Map<String, CelType> structs) {
        if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
            return SimpleType.DYN;
        }
        switch (s.path("type").asText("")) {
            case "object" -> {
                if (s.has("properties")) {
                    Map<String, CelType> fields = new LinkedHashMap<>();
                    s.get("properties").properties().forEach(p ->
                            fields.put(p.getKey(), type(p.getValue(), name + "." + p.getKey(), structs)));
                    StructType t = StructType.create(name, ImmutableSet.copyOf(fields.keySet()),
                            f -> Optional.ofNullable(fields.get(f)));
                    structs.put(name, t);
                    return t;
                }
                if (s.path("additionalProperties").isObject()) {
                    return MapType.create(SimpleType.STRING, type(s.get("additionalProperties"), name + "{*}", structs));
                }
                return SimpleType.DYN;
            }
            case "array" -> {
                return ListType.create(s.has("items") ? type(s.get("items"), name + "[*]", structs) : SimpleType.DYN);
            }
            case "string" -> {
                return SimpleType.STRING;
            }
            case "integer" -> {
                return SimpleType.INT;
            }
            case "number" -> {
                return SimpleType.DOUBLE;
            }
            case "boolean" -> {
                return SimpleType.BOOL;
            }
            default -> {
                return SimpleType.DYN;
            }
        }
    }

    private void walk(JsonNode schema, String path, JsonNode value, JsonNode old, String at, List<Verdict> out) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return;
        }
        for (Rule r : byPath.getOrDefault(path, List.of())) {
            if (!r.transition()) {
                out.add(run(r, at, value, null));
            } else if (old != null && !old.isNull() && !old.isMissingNode()) {
                out.add(run(r, at, value, old));
            }
        }
        if (value.isObject()) {
            schema.path("properties").properties().forEach(p -> walk(p.getValue(), join(path, p.getKey()),
                    value.get(p.getKey()), old == null ? null : old.get(p.getKey()), join(at, p.getKey()), out));
            if (schema.path("additionalProperties").isObject()) {
                value.properties().forEach(e -> walk(schema.get("additionalProperties"), path + "{*}", e.getValue(),
                        old == null ? null : old.get(e.getKey()), at + "[" + e.getKey() + "]", out));
            }
        }
        if (value.isArray() && schema.has("items")) {
            // Items get no oldSelf: this harness does not correlate list items (Kubernetes does for list-type map
            // only), and CelRulesTest refuses transition rules under lists so none is silently skipped.
            for (int i = 0; i < value.size(); i++) {
                walk(schema.get("items"), path + "[*]", value.get(i), null, at + "[" + i + "]", out);
            }
        }
    }

    private static Verdict run(Rule r, String at, JsonNode self, JsonNode oldSelf) {
        Map<String, Object> vars = new HashMap<>();
        vars.put("self", toCel(self));
        if (oldSelf != null) {
            vars.put("oldSelf", toCel(oldSelf));
        }
        try {
            Object result = r.program().eval(vars);
            return new Verdict(r, at, Boolean.TRUE.equals(result) ? Outcome.PASS : Outcome.FAIL, String.valueOf(result));
        } catch (CelEvaluationException e) {
            // The API server refuses the object when a rule errors, so an error is never a pass.
            return new Verdict(r, at, Outcome.ERROR, e.getMessage());
        }
    }

    /** JSON as Kubernetes hands it to CEL: objects as maps, integers as int (long), null fields absent. */
    private static Object toCel(JsonNode n) {
        if (n.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            n.properties().forEach(e -> {
                if (!e.getValue().isNull()) {
                    m.put(e.getKey(), toCel(e.getValue()));
                }
            });
            return m;
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            n.forEach(e -> l.add(toCel(e)));
            return l;
        }
        if (n.isIntegralNumber()) {
            return n.longValue();
        }
        if (n.isNumber()) {
            return n.doubleValue();
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        return n.asText();
    }

    /** The schema's defaults filled in where a field is absent, as the API server does before validating. */
    private static JsonNode withDefaults(JsonNode schema, JsonNode value) {
        if (value instanceof ObjectNode o) {
            schema.path("properties").properties().forEach(p -> {
                if (!o.has(p.getKey()) && p.getValue().has("default")) {
                    o.set(p.getKey(), p.getValue().get("default").deepCopy());
                }
                if (o.has(p.getKey())) {
                    withDefaults(p.getValue(), o.get(p.getKey()));
                }
            });
            if (schema.path("additionalProperties").isObject()) {
                o.properties().forEach(e -> withDefaults(schema.get("additionalProperties"), e.getValue()));
            }
        } else if (value instanceof ArrayNode a && schema.has("items")) {
            a.forEach(e -> withDefaults(schema.get("items"), e));
        }
        return value;
    }

    private static String join(String path, String field) {
        return path.isEmpty() ? field : path + "." + field;
    }
}
