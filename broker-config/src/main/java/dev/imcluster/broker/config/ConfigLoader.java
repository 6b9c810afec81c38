package dev.imcluster.broker.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Loads {@link BrokerConfig} strictly: a YAML (or .properties) file, then environment overrides of the form
 * {@code IMCLUSTER__COMET__TCP__PORT=3101} (double underscores between keys, any case). An unknown key, a value
 * of the wrong type or out of range is refused with a message naming the key.
 */
public final class ConfigLoader {

    /** Prefix of environment overrides; {@code __} separates path segments. */
    public static final String ENV_PREFIX = "IMCLUSTER__";

    /** One or more number-unit parts, as the CRD's durations (and Go's) are written: {@code 90s}, {@code 1m30s}. */
    private static final Pattern DURATION = Pattern.compile("((\\d+)(ms|s|m|h|d))+");
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private static final ObjectMapper YAML = configure(JsonMapper.builder(new YAMLFactory()));
    private static final ObjectMapper JSON = configure(JsonMapper.builder());

    private ConfigLoader() {
    }

    private static ObjectMapper configure(JsonMapper.Builder builder) {
        SimpleModule durations = new SimpleModule("durations");
        durations.addDeserializer(Duration.class, new DurationDeserializer());
        durations.addSerializer(Duration.class, new com.fasterxml.jackson.databind.ser.std.StdSerializer<>(Duration.class) {
            @Override
            public void serialize(Duration value, com.fasterxml.jackson.core.JsonGenerator gen,
                                  com.fasterxml.jackson.databind.SerializerProvider provider) throws IOException {
                gen.writeString(formatDuration(value));
            }
        });
        return builder
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .visibility(com.fasterxml.jackson.annotation.PropertyAccessor.FIELD,
                        com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility.PUBLIC_ONLY)
                .addModule(durations)
                .build();
    }

    /**
     * Config defaults of a process mode (comet, logic, job, standalone), under the file and the environment. The
     * broker starts each mode with these, and the operator validates each role's config with them.
     */
    public static Map<String, String> roleDefaults(String mode) {
        // standalone is for local use: goim's own clients, which send no token, must work out of the box.
        // comet and job never authenticate (comet asks logic), so logic's key files must not be required there.
        // standalone trusts goim's Auth JSON, so by default it listens on loopback only.
        return switch (mode) {
            case "logic" -> Map.of();
            case "standalone" -> Map.of("logic.auth.mode", "goim", "bindAddress", "127.0.0.1");
            default -> Map.of("logic.auth.mode", "goim");
        };
    }

    /** Loads from an optional file plus the process environment. */
    public static BrokerConfig load(Path file, Map<String, String> env) {
        return load(file, env, Map.of());
    }

    /**
     * Loads with role defaults (dotted key to value) applied under the file and the environment; standalone
     * uses this to default to goim's trust-the-JSON auth.
     */
    public static BrokerConfig load(Path file, Map<String, String> env, Map<String, String> roleDefaults) {
        String text = null;
        if (file != null) {
            try {
                text = Files.readString(file);
            } catch (IOException e) {
                throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
            }
        }
        boolean properties = file != null && file.getFileName().toString().endsWith(".properties");
        return parse(text, properties, env, roleDefaults);
    }

    /** Parses YAML text (may be null or empty for all defaults) and applies env overrides. */
    public static BrokerConfig parse(String yaml, Map<String, String> env) {
        return parse(yaml, false, env, Map.of());
    }

    /** Parses YAML text as {@link #parse(String, Map)} does, with role defaults under it (see {@link #roleDefaults}). */
    public static BrokerConfig parse(String yaml, Map<String, String> env, Map<String, String> roleDefaults) {
        return parse(yaml, false, env, roleDefaults);
    }

    static BrokerConfig parse(String text, boolean properties, Map<String, String> env,
                              Map<String, String> roleDefaults) {
        ObjectNode tree = JSON.createObjectNode();
        roleDefaults.forEach((key, value) -> setPath(tree, List.of(key.split("\\.")), value, key));
        merge(tree, readTree(text, properties));
        applyEnv(tree, env);
        BrokerConfig config;
        UnknownKeys unknown = new UnknownKeys();
        try {
            config = JSON.readerFor(BrokerConfig.class).withHandler(unknown).readValue(tree);
        } catch (JsonMappingException e) {
            String key = path(e);
            throw new ConfigException("", List.of(new ConfigException.Problem(key.isEmpty() ? "(top level)" : key,
                    "bad value: " + e.getOriginalMessage())), e);
        } catch (IOException e) {
            throw new ConfigException("cannot parse config: " + e.getMessage(), e);
        }
        if (!unknown.found.isEmpty()) {
            throw new ConfigException(unknown.found.size() == 1 ? "" : "unknown config keys", unknown.found, null);
        }
        ConfigValidator.validate(config);
        return config;
    }

    /** Collects every unknown key of the file, so that one load names them all (not only the first). */
    private static final class UnknownKeys extends DeserializationProblemHandler {
        final List<ConfigException.Problem> found = new ArrayList<>();

        @Override
        public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p, JsonDeserializer<?> deserializer,
                                             Object beanOrClass, String propertyName) throws IOException {
            List<String> path = new ArrayList<>();
            JsonStreamContext key = p.getParsingContext();
            if (p.currentToken() != null && p.currentToken().isStructStart()) {
                key = key.getParent(); // the unknown key's value is an object or a list: its context is opened
            }
            for (JsonStreamContext c = key; c != null && !c.inRoot(); c = c.getParent()) {
                path.add(0, c.inArray() ? "[" + c.getCurrentIndex() + "]" : c.getCurrentName());
            }
            String known = deserializer.getKnownPropertyNames().stream().map(Object::toString).sorted()
                    .collect(Collectors.joining(", "));
            found.add(new ConfigException.Problem(String.join(".", path).replace(".[", "["),
                    "unknown config key; known keys at that level: " + known));
            p.skipChildren();
            return true;
        }
    }

    /** Renders a config as YAML (the form the operator writes and this loader reads). */
    public static String toYaml(BrokerConfig config) {
        try {
            return YAML.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Layers {@code from} over {@code into} as the loader layers the file over the role defaults: objects key by key,
     * anything else (a value, a list) replaces. The operator layers spec.config and spec.&lt;role&gt;.config so.
     */
    public static void merge(ObjectNode into, ObjectNode from) {
        from.fields().forEachRemaining(e -> {
            JsonNode existing = into.get(e.getKey());
            if (existing instanceof ObjectNode target && e.getValue() instanceof ObjectNode source) {
                merge(target, source);
            } else {
                into.set(e.getKey(), e.getValue());
            }
        });
    }

    private static ObjectNode readTree(String text, boolean properties) {
        if (text == null || text.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            if (properties) {
                Properties props = new Properties();
                props.load(new StringReader(text));
                ObjectNode root = JSON.createObjectNode();
                for (String name : props.stringPropertyNames()) {
                    setPath(root, List.of(name.split("\\.")), props.getProperty(name), name);
                }
                return root;
            }
            JsonNode node = YAML.readTree(text);
            if (node == null || node.isMissingNode() || node.isNull()) {
                return JSON.createObjectNode();
            }
            if (!node.isObject()) {
                throw new ConfigException("config file must be a YAML mapping at the top level, got " + node.getNodeType());
            }
            return (ObjectNode) node;
        } catch (IOException e) {
            throw new ConfigException("cannot parse config file: " + e.getMessage(), e);
        }
    }

    private static void applyEnv(ObjectNode root, Map<String, String> env) {
        JsonNode defaults = JSON.valueToTree(new BrokerConfig());
        env.entrySet().stream()
                .filter(e -> e.getKey().toUpperCase(Locale.ROOT).startsWith(ENV_PREFIX))
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> {
                    String[] raw = e.getKey().substring(ENV_PREFIX.length()).split("__");
                    List<String> segments = new ArrayList<>();
                    JsonNode shape = defaults;
                    for (String segment : raw) {
                        String canonical = canonicalKey(shape, segment);
                        if (canonical == null) {
                            throw new ConfigException("unknown config key in environment variable " + e.getKey()
                                    + ": no key '" + segment + "' under '" + String.join(".", segments) + "'");
                        }
                        segments.add(canonical);
                        shape = shape == null ? null : shape.get(canonical);
                    }
                    setPath(root, segments, e.getValue(), e.getKey());
                });
    }

    /** The real (camelCase) key for a case-insensitive segment, or null if the level has no such key. */
    private static String canonicalKey(JsonNode shape, String segment) {
        if (shape == null || !shape.isObject()) {
            return shape == null ? null : segment; // inside a map value (e.g. kafka properties): keep as given
        }
        String wanted = segment.replace("_", "").toLowerCase(Locale.ROOT);
        for (Iterator<String> it = shape.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (name.toLowerCase(Locale.ROOT).equals(wanted)) {
                return name;
            }
        }
        // Map-typed keys such as mq.kafka.properties are empty objects in the defaults.
        return shape.isEmpty() ? segment.toLowerCase(Locale.ROOT).replace('_', '.') : null;
    }

    private static void setPath(ObjectNode root, List<String> segments, String value, String source) {
        ObjectNode node = root;
        for (int i = 0; i < segments.size() - 1; i++) {
            JsonNode child = node.get(segments.get(i));
            if (child == null || child.isNull()) {
                child = node.putObject(segments.get(i));
            } else if (!child.isObject()) {
                throw new ConfigException("config key '" + String.join(".", segments.subList(0, i + 1))
                        + "' is a value, but " + source + " sets a key below it");
            }
            node = (ObjectNode) child;
        }
        JsonNode parsed = parseScalar(value);
        node.set(segments.get(segments.size() - 1), parsed);
    }

    /** Env and properties values are strings; numbers, booleans and lists (a,b) are typed the way YAML would. */
    private static JsonNode parseScalar(String value) {
        try {
            JsonNode node = YAML.readTree(value.isEmpty() ? "''" : value);
            if (node != null && (node.isNumber() || node.isBoolean())) {
                return node;
            }
            if (value.contains(",")) {
                var array = JSON.createArrayNode();
                for (String part : value.split(",")) {
                    array.add(part.trim());
                }
                return array;
            }
        } catch (IOException ignored) {
            // not YAML: a plain string
        }
        return TextNode.valueOf(value);
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    public static String formatDuration(Duration d) {
        long ms = d.toMillis();
        if (ms % 3_600_000 == 0 && ms > 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0 && ms > 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    /** Accepts 500ms, 1s, 2m, 1h, 1d, or ISO-8601 (PT1S). */
    static final class DurationDeserializer extends JsonDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String text = p.getValueAsString();
            if (text == null || !p.currentToken().isScalarValue() || p.currentToken().isNumeric()) {
                return (Duration) ctxt.handleUnexpectedToken(Duration.class, p);
            }
            return parseDuration(text.trim(), ctxt);
        }

        private static Duration parseDuration(String text, DeserializationContext ctxt) throws IOException {
            if (DURATION.matcher(text).matches()) {
                Duration total = Duration.ZERO;
                Matcher m = DURATION_PART.matcher(text);
                while (m.find()) {
                    long n = Long.parseLong(m.group(1));
                    total = total.plus(switch (m.group(2)) {
                        case "ms" -> Duration.ofMillis(n);
                        case "s" -> Duration.ofSeconds(n);
                        case "m" -> Duration.ofMinutes(n);
                        case "h" -> Duration.ofHours(n);
                        default -> Duration.ofDays(n);
                    });
                }
                return total;
            }
            try {
                return Duration.parse(text);
            } catch (RuntimeException e) {
                throw ctxt.weirdStringException(text, Duration.class,
                        "not a duration; use numbers with ms, s, m, h or d, such as 500ms, 30s or 1m30s");
            }
        }
    }
}
