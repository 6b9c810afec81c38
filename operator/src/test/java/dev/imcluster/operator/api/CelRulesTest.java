package dev.imcluster.operator.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.imcluster.operator.api.v1alpha1.AuthSpec;
import dev.imcluster.operator.api.v1alpha1.MqSpec;
import dev.imcluster.operator.api.v1alpha1.PubSubCluster;
import dev.imcluster.operator.api.v1alpha1.PubSubClusterStatus;
import dev.imcluster.operator.model.SpecValidation;
import dev.imcluster.operator.testing.CrdCelRules;
import dev.imcluster.operator.testing.CrdCelRules.Outcome;
import dev.imcluster.operator.testing.CrdCelRules.Rule;
import dev.imcluster.operator.testing.CrdCelRules.Verdict;
import dev.imcluster.operator.testing.Examples;
import dev.imcluster.operator.testing.HostileCorpus;
import dev.imcluster.operator.testing.SchemaValidator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CRD's CEL rules (x-kubernetes-validations), which only API servers of 1.25 or later run (not the 1.20 of the
 * e2e, not the mock server), evaluated with cel-java on the generated CRD: every rule type-checks as Kubernetes
 * requires, refuses and accepts what each case says, is exercised both ways, and SpecValidation (the operator's own
 * check, all older servers have) refuses exactly what the rules refuse. A rule's message is the contract: the
 * SpecValidation problem for the same aspect contains it (with "spec." before each field path).
 */
class CelRulesTest {
    static final CrdCelRules RULES = CrdCelRules.ofPubSubClusterCrd();

    /**
     * A PubSubCluster (its spec in YAML flow style), the spec it was edited from (null for a creation), and the
     * messages of the rules that must refuse it (none: it must be accepted).
     */
    record Case(String name, String spec, String oldSpec, List<String> refusedBy) {
        @Override
        public String toString() {
            return name;
        }

        JsonNode object() {
            return document(spec);
        }

        JsonNode oldObject() {
            return oldSpec == null ? null : document(oldSpec);
        }
    }

    static final String JWT = AuthSpec.Jwt.ONE_KEY_SOURCE;
    static final String NATS_EXCLUSIVE = "mq.nats.url and mq.nats.managed are mutually exclusive";
    static final String KAFKA_REQUIRED = "mq.kafka.bootstrapServers is required when mq.backend is kafka";
    static final String NATS_REQUIRED = "mq.nats needs url, or managed: true, when mq.backend is nats";
    static final String REDIS_EXCLUSIVE = "redis.managed and redis.external are mutually exclusive";
    static final String REDIS_ONE_TARGET = "redis.external needs exactly one of address and sentinel";
    static final String SENTINEL_ADDRESS = "each sentinel address must be host:port";
    static final String TLS_NEEDS_ONE = "tls needs secretName (client TLS), internal, or both";
    static final String KAFKA_STILL_NEEDED =
            "mq.kafka.bootstrapServers is still needed until the backend swap away from kafka is Complete";
    static final String NATS_STILL_NEEDED =
            "mq.nats (url or managed: true) is still needed until the backend swap away from nats is Complete";
    static final String MQTT_EXCLUSIVE = "mq.mqtt.url and mq.mqtt.managed are mutually exclusive";
    static final String MQTT_REQUIRED = "mq.mqtt needs url, or managed: true, when mq.backend is mqtt";
    static final String MQTT_STILL_NEEDED =
            "mq.mqtt (url or managed: true) is still needed until the backend swap away from mqtt is Complete";

    static final String PATTERN_TWICE =
            "delivery.history lists a pattern more than once (the first would always win)";
    static final String TTL_NOT_POSITIVE = "ttl must be a positive duration (such as 5m)";
    static final String WINDOW_NOT_POSITIVE = "delivery.dedupe.window must be a positive duration (such as 5m)";
    static final String PRESENCE_LENGTH = "delivery.presence patterns must have 1 to 256 characters each";

    static final String LOAD_BALANCER_ONLY =
            "comet.service.loadBalancerClass and loadBalancerSourceRanges need type LoadBalancer";
    static final String TRAFFIC_POLICY = "comet.service.externalTrafficPolicy needs type NodePort or LoadBalancer";
    static final String SERVICE_ACCOUNT = "serviceAccount.name and serviceAccount.annotations are mutually exclusive"
            + " (annotate the named ServiceAccount itself)";
    static final String CONNECT_BURST = "comet.limits.connectBurst needs connectsPerSecond above 0 (0 turns the"
            + " connect limit off)";
    static final String PUBLISH_BURST = "comet.limits.publishBurst needs publishesPerSecond above 0 (publishes are"
            + " not limited otherwise)";
    static final String ADDRESS_BURST = "comet.limits.publishPerAddressBurst needs publishesPerAddressPerSecond above"
            + " 0 (publishes are not limited per address otherwise)";
    static final String PUSH_BURST = "logic.limits.pushBurst needs pushesPerSecond above 0 (pushes are not limited"
            + " otherwise)";

    static final String KAFKA = "mq: {backend: kafka, kafka: {bootstrapServers: 'kafka-0:9092,kafka-1:9092'}}";
    static final String NATS_URL = "mq: {backend: nats, nats: {url: 'nats://nats:4222'}}";
    static final String NATS_MANAGED = "mq: {backend: nats, nats: {managed: true}}";
    static final String MQTT_URL = "mq: {backend: mqtt, mqtt: {url: 'ssl://mqtt.example:8883'}}";
    static final String MQTT_MANAGED = "mq: {backend: mqtt, mqtt: {managed: true}}";

    static List<Case> cases() {
        return List.of(
                create("only defaults", "{}"),
                create("jwt HS256", "auth: {jwt: {secretRef: {name: jwt}, issuer: me}}"),
                create("jwt RS256", "auth: {jwt: {publicKeySecretRef: {name: jwt, key: pub.pem}}}"),
                create("jwt with both keys", "auth: {jwt: {secretRef: {name: a}, publicKeySecretRef: {name: b}}}", JWT),
                create("jwt with no key", "auth: {jwt: {issuer: me}}", JWT),
                create("jwt JWKS", "auth: {jwt: {jwksUrl: 'https://idp.example/.well-known/jwks.json',"
                        + " algorithms: [RS256, ES256, EdDSA], clockSkew: 1m, issuer: 'https://idp.example'}}"),
                create("jwt JWKS and a secret", "auth: {jwt: {jwksUrl: 'https://idp/jwks', secretRef: {name: a}}}", JWT),
                create("jwt JWKS from a Secret", "auth: {jwt: {jwksSecretRef: {name: idp-keys}, algorithms: [EdDSA]}}"),
                create("jwt JWKS Secret and URL",
                        "auth: {jwt: {jwksSecretRef: {name: k}, jwksUrl: 'https://idp/jwks'}}", JWT),
                create("auth without jwt", "auth: {internalTokenSecretRef: {name: t}}"),
                create("kafka", KAFKA),
                create("kafka without bootstrapServers", "mq: {backend: kafka, kafka: {topic: t}}", KAFKA_REQUIRED),
                create("kafka without settings", "mq: {backend: kafka}", KAFKA_REQUIRED),
                create("kafka settings kept on redis", "mq: {backend: redis, kafka: {topic: t}}"),
                create("mqtt by url", MQTT_URL),
                create("mqtt managed", MQTT_MANAGED),
                create("mqtt url and managed", "mq: {backend: mqtt, mqtt: {url: 'tcp://m:1883', managed: true}}",
                        MQTT_EXCLUSIVE),
                create("mqtt without settings", "mq: {backend: mqtt}", MQTT_REQUIRED),
                create("mqtt managed false only", "mq: {backend: mqtt, mqtt: {managed: false, topic: t}}",
                        MQTT_REQUIRED),
                create("nats by url", NATS_URL),
                create("nats managed", NATS_MANAGED),
                create("nats cluster of 3", "mq: {backend: nats, nats: {managed: true, replicas: 3, storage: 1Gi}}"),
                create("nats of 1 by url", "mq: {backend: nats, nats: {url: 'nats://n:4222', replicas: 1}}"),
                create("nats cluster of 2", "mq: {backend: nats, nats: {managed: true, replicas: 2}}",
                        MqSpec.NatsSpec.REPLICAS_ODD),
                create("nats replicas for a NATS by url", "mq: {backend: nats, nats: {url: 'nats://n:4222', replicas: 3}}",
                        MqSpec.NatsSpec.REPLICAS_MANAGED),
                create("nats url with managed false", "mq: {backend: nats, nats: {url: 'nats://n:4222', managed: false}}"),
                create("nats url and managed", "mq: {backend: nats, nats: {url: 'nats://n:4222', managed: true}}",
                        NATS_EXCLUSIVE),
                create("nats url and managed while on redis", "mq: {nats: {url: 'nats://n:4222', managed: true}}",
                        NATS_EXCLUSIVE),
                create("nats without settings", "mq: {backend: nats}", NATS_REQUIRED),
                create("nats managed false only", "mq: {backend: nats, nats: {managed: false, stream: S}}", NATS_REQUIRED),
                create("client tls", "tls: {secretName: im-tls}"),
                create("internal tls only", "tls: {internal: {enabled: true}}"),
                create("empty tls", "tls: {}", TLS_NEEDS_ONE),
                create("redis managed, empty", "redis: {managed: {}}"),
                create("redis external", "redis: {external: {address: 'redis:6379'}}"),
                create("redis managed and external", "redis: {managed: {storage: 1Gi}, external: {address: 'r:6379'}}",
                        REDIS_EXCLUSIVE),
                create("redis external through sentinels", "redis: {external: {sentinel: {masterName: mymaster,"
                        + " addresses: ['s-0.s:26379', 's-1.s:26379'], passwordSecretRef: {name: s}}}}"),
                create("redis external with address and sentinels", "redis: {external: {address: 'r:6379',"
                        + " sentinel: {masterName: m, addresses: ['s:26379']}}}", REDIS_ONE_TARGET),
                create("redis external with neither", "redis: {external: {tls: true}}", REDIS_ONE_TARGET),
                create("redis sentinel address without port", "redis: {external: {sentinel: {masterName: m,"
                        + " addresses: ['s:26379', 'sentinel']}}}", SENTINEL_ADDRESS),
                create("delivery history and dedupe", "delivery: {history: [{pattern: 'live://*', size: 100, ttl: 5m},"
                        + " {pattern: 'chat://*', size: 1000, ttl: 1h}], dedupe: {window: 90s, maxIds: 0}}"),
                create("delivery defaults", "delivery: {history: [{pattern: '*'}], dedupe: {}}"),
                create("delivery empty", "delivery: {}"),
                create("delivery pattern twice", "delivery: {history: [{pattern: 'live://*'}, {pattern: 'chat://*'},"
                        + " {pattern: 'live://*', size: 5}]}", PATTERN_TWICE),
                create("delivery ttl zero", "delivery: {history: [{pattern: 'live://*', ttl: 0s}]}", TTL_NOT_POSITIVE),
                create("delivery ttl of zeros", "delivery: {history: [{pattern: 'a', ttl: 1s}, {pattern: 'b',"
                        + " ttl: 00m0ms}]}", TTL_NOT_POSITIVE),
                create("delivery window zero", "delivery: {dedupe: {window: 0m}}", WINDOW_NOT_POSITIVE),
                create("delivery presence", "delivery: {presence: ['chat://*', 'live://vip-*']}"),
                create("delivery presence empty pattern", "delivery: {presence: ['chat://*', '']}", PRESENCE_LENGTH),
                create("delivery presence long pattern", "delivery: {presence: ['" + "x".repeat(257) + "']}",
                        PRESENCE_LENGTH),
                create("delivery all wrong", "delivery: {history: [{pattern: x, ttl: 0h}, {pattern: x}],"
                        + " dedupe: {window: 0s}}", PATTERN_TWICE, TTL_NOT_POSITIVE, WINDOW_NOT_POSITIVE),
                create("comet load balancer settings", "comet: {service: {type: LoadBalancer, externalTrafficPolicy:"
                        + " Local, loadBalancerClass: example.com/lb, loadBalancerSourceRanges: ['10.0.0.0/8']}}"),
                create("comet NodePort keeping client addresses", "comet: {service: {type: NodePort,"
                        + " externalTrafficPolicy: Local}}"),
                create("comet ClusterIP with source ranges", "comet: {service: {loadBalancerSourceRanges:"
                        + " ['10.0.0.0/8']}}", LOAD_BALANCER_ONLY),
                create("comet NodePort with a load balancer class", "comet: {service: {type: NodePort,"
                        + " loadBalancerClass: example.com/lb}}", LOAD_BALANCER_ONLY),
                create("comet ClusterIP with a traffic policy", "comet: {service: {type: ClusterIP,"
                        + " externalTrafficPolicy: Cluster}}", TRAFFIC_POLICY),
                create("comet default type with a traffic policy and ranges", "comet: {service:"
                        + " {externalTrafficPolicy: Local, loadBalancerSourceRanges: []}}", LOAD_BALANCER_ONLY,
                        TRAFFIC_POLICY),
                create("service account annotated", "serviceAccount: {annotations: {eks.amazonaws.com/role-arn: r}}"),
                create("service account by name", "serviceAccount: {name: workload}"),
                create("service account by name and annotated", "serviceAccount: {name: workload, annotations: {}}",
                        SERVICE_ACCOUNT),
                create("limits all set", "comet: {limits: {connectsPerSecond: 20, connectBurst: 100,"
                        + " maxConnectionsPerAddress: 1000, publishesPerSecond: 50, publishBurst: 100,"
                        + " publishesPerAddressPerSecond: 500, publishPerAddressBurst: 1000}},"
                        + " logic: {limits: {pushesPerSecond: 1000, pushBurst: 2000}}"),
                create("limits empty", "comet: {limits: {}}, logic: {limits: {}}"),
                create("connect burst with the default rate", "comet: {limits: {connectBurst: 10}}"),
                create("connect limit off", "comet: {limits: {connectsPerSecond: 0}}"),
                create("connect burst with the limit off", "comet: {limits: {connectsPerSecond: 0, connectBurst: 5}}",
                        CONNECT_BURST),
                create("publish burst without rate", "comet: {limits: {publishBurst: 5}}", PUBLISH_BURST),
                create("publish burst with rate 0", "comet: {limits: {publishesPerSecond: 0, publishBurst: 5}}",
                        PUBLISH_BURST),
                create("address burst without rate", "comet: {limits: {publishesPerSecond: 5,"
                        + " publishPerAddressBurst: 5}}", ADDRESS_BURST),
                create("push burst without rate", "logic: {limits: {pushBurst: 5}}", PUSH_BURST),
                create("every burst without its rate", "comet: {limits: {connectsPerSecond: 0, connectBurst: 1,"
                        + " publishBurst: 1, publishPerAddressBurst: 1}}, logic: {limits: {pushesPerSecond: 0,"
                        + " pushBurst: 1}}", CONNECT_BURST, PUBLISH_BURST, ADDRESS_BURST, PUSH_BURST),
                create("everything wrong at once", "{auth: {jwt: {}}, mq: {backend: kafka, nats: {url: 'nats://n:1',"
                        + " managed: true}}, redis: {managed: {}, external: {address: 'r:1'}}}",
                        JWT, KAFKA_REQUIRED, NATS_EXCLUSIVE, REDIS_EXCLUSIVE),

                edit("kafka to redis keeping kafka", KAFKA, "mq: {backend: redis, kafka: {bootstrapServers: 'k:9092'}}"),
                edit("kafka to redis dropping kafka", KAFKA, "mq: {backend: redis}", KAFKA_STILL_NEEDED),
                edit("kafka to redis dropping bootstrapServers only", KAFKA, "mq: {backend: redis, kafka: {topic: t}}",
                        KAFKA_STILL_NEEDED),
                edit("kafka to redis by removing mq", KAFKA, "{}", KAFKA_STILL_NEEDED),
                edit("kafka to nats dropping kafka", KAFKA, NATS_MANAGED, KAFKA_STILL_NEEDED),
                edit("kafka to nats keeping kafka", KAFKA, "mq: {backend: nats, nats: {managed: true},"
                        + " kafka: {bootstrapServers: 'k:9092'}}"),
                edit("kafka to other brokers", KAFKA, "mq: {backend: kafka, kafka: {bootstrapServers: 'k2:9092'}}"),
                edit("kafka dropping its settings", KAFKA, "mq: {backend: kafka}", KAFKA_REQUIRED),
                edit("nats to redis dropping nats", NATS_URL, "mq: {backend: redis}", NATS_STILL_NEEDED),
                edit("nats to redis turning managed off", NATS_MANAGED, "mq: {nats: {managed: false}}",
                        NATS_STILL_NEEDED),
                edit("nats to kafka keeping nats", NATS_MANAGED, "mq: {backend: kafka, kafka: {bootstrapServers:"
                        + " 'k:9092'}, nats: {managed: true}}"),
                edit("nats to kafka dropping nats", NATS_URL, KAFKA, NATS_STILL_NEEDED),
                edit("redis to kafka", "{}", KAFKA),
                edit("nats to mqtt keeping nats", NATS_MANAGED, "mq: {backend: mqtt, mqtt: {managed: true},"
                        + " nats: {managed: true}}"),
                edit("nats to mqtt dropping nats", NATS_MANAGED, MQTT_MANAGED, NATS_STILL_NEEDED),
                edit("mqtt to kafka keeping mqtt", MQTT_URL, "mq: {backend: kafka, kafka: {bootstrapServers:"
                        + " 'k:9092'}, mqtt: {url: 'tcp://m:1883'}}"),
                edit("mqtt to redis dropping mqtt", MQTT_MANAGED, "mq: {backend: redis}", MQTT_STILL_NEEDED),
                edit("mqtt to redis turning managed off", MQTT_MANAGED, "mq: {mqtt: {managed: false}}",
                        MQTT_STILL_NEEDED),
                edit("redis to nats without settings", "mq: {backend: redis}", "mq: {backend: nats}", NATS_REQUIRED),
                edit("unrelated edit of a kafka cluster", KAFKA, KAFKA + ", redis: {managed: {storage: 2Gi}}"));
    }

    /** The examples and the hostile corpus's cases the schema lets through (the rejected ones never reach CEL). */
    static List<Case> corpus() {
        List<Case> c = new ArrayList<>();
        for (String name : Examples.NAMES) {
            c.add(new Case("examples/" + name, specOf(Examples.text(name)), null, List.of()));
        }
        for (HostileCorpus.Case h : HostileCorpus.cases(HostileCorpus.Expect.invalid)) {
            c.add(new Case("e2e/hostile/" + h.file(), specOf(h.yaml()), null, null));
        }
        return c;
    }

    static List<Case> allCases() {
        return Stream.concat(cases().stream(), corpus().stream()).toList();
    }

    @Test
    void everyRuleTypeChecksAsKubernetesRequiresWithTheStandardLibraryOnly() {
        assertThat(RULES.rules()).as("rules found in the CRD").hasSizeGreaterThanOrEqualTo(7);
        assertThat(RULES.rules()).allSatisfy(r ->
                assertThat(RULES.typeError(r.path(), r.expression())).as(r.toString()).isEmpty());
    }

    @Test
    void theTypeCheckRefusesWhatTheApiServerWouldRefuse() {
        assertThat(RULES.typeError("spec.mq", "self.backnd != 'kafka'")).as("misspelt field").isPresent();
        assertThat(RULES.typeError("spec.mq", "self.backend")).as("not a bool").isPresent();
        assertThat(RULES.typeError("spec.mq.nats", "url(self.url).getScheme() == 'nats'"))
                .as("Kubernetes library function, not declared").isPresent();
        assertThat(RULES.typeError("spec.mq", "self.backend != 'kafka' || has(self.kafka)")).isEmpty();
    }

    /** Kubernetes estimates a rule's cost from the bounds of what it iterates; an unbounded one is refused. */
    @Test
    void rulesThatIterateOnlyIterateBoundedValues() {
        for (Rule r : RULES.rules().stream().filter(Rule::iterates).toList()) {
            r.schema().findParents("type").forEach(s -> {
                String type = s.path("type").asText();
                if (type.equals("array")) {
                    assertThat(s.has("maxItems")).as(r + ": a list it may iterate has no maxItems").isTrue();
                }
                if (type.equals("object") && s.path("additionalProperties").isObject()) {
                    assertThat(s.has("maxProperties")).as(r + ": a map it may iterate has no maxProperties").isTrue();
                }
            });
        }
    }

    /**
     * Kubernetes estimates each rule's cost from the sizes of what it reads, taking an unbounded string, list or map
     * as large as a whole request: every one a rule reads has a bound.
     */
    @Test
    void everyValueARuleReadsIsBounded() {
        for (Rule r : RULES.rules()) {
            assertThat(r.reads()).as(r + " reads fields of self").isNotEmpty();
            for (String read : r.reads()) {
                JsonNode s = r.schema();
                for (String field : read.split("\\.")) {
                    s = s.path("properties").has(field) ? s.path("properties").get(field) : s.path("additionalProperties");
                }
                String what = r + ": " + read;
                assertThat(s.isObject()).as(what + " has a schema").isTrue();
                switch (s.path("type").asText()) {
                    case "string" -> assertThat(s.has("maxLength") || s.has("enum")).as(what + ": maxLength").isTrue();
                    case "array" -> assertThat(s.has("maxItems")).as(what + ": maxItems").isTrue();
                    case "object" -> assertThat(!s.path("additionalProperties").isObject() || s.has("maxProperties"))
                            .as(what + ": maxProperties").isTrue();
                    default -> { }
                }
            }
        }
    }

    /** The harness gives list items no oldSelf; a transition rule there would be skipped silently. */
    @Test
    void noTransitionRuleSitsUnderAListOrMap() {
        assertThat(RULES.rules()).filteredOn(Rule::transition)
                .allSatisfy(r -> assertThat(r.path()).as(r.toString()).doesNotContain("[*]", "{*}"));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void theRulesRefuseExactlyWhatEachCaseExpects(Case c) {
        assertThat(SchemaValidator.validate(RULES.schema(), withoutMetadata(c.object())))
                .as("the schema lets the case through, so CEL decides").isEmpty();
        assertThat(failedRules(verdicts(c))).as(c.name()).isEqualTo(new TreeSet<>(c.refusedBy()));
    }

    @ParameterizedTest
    @MethodSource("allCases")
    void specValidationRefusesExactlyWhatTheRulesRefuse(Case c) {
        List<String> problems = SpecValidation.problems(cluster(c)).stream().map(p -> p.replace("spec.", "")).toList();
        for (Rule r : RULES.rules()) {
            boolean celRefuses = failedRules(verdicts(c)).contains(r.message());
            boolean specValidationRefuses = problems.stream().anyMatch(p -> p.contains(r.message()));
            assertThat(specValidationRefuses).as(c + ", rule " + r + "; SpecValidation said " + problems)
                    .isEqualTo(celRefuses);
        }
    }

    /** So that no rule can be added untested: each one is seen both passing and failing. */
    @Test
    void everyRuleHasACaseItPassesAndACaseItFails() {
        Map<Rule, Set<Outcome>> seen = new HashMap<>();
        for (Case c : allCases()) {
            verdicts(c).forEach(v -> seen.computeIfAbsent(v.rule(), k -> EnumSet.noneOf(Outcome.class))
                    .add(v.outcome()));
        }
        assertThat(RULES.rules()).allSatisfy(r -> assertThat(seen.getOrDefault(r, Set.of()))
                .as(r + " (" + r.expression() + "): add a case to CelRulesTest.cases() that it accepts and one it refuses")
                .contains(Outcome.PASS, Outcome.FAIL));
    }

    /** An error refuses the object on the server whatever the rule meant; no case may rely on one. */
    @Test
    void noRuleErrorsOnAnyCase() {
        for (Case c : allCases()) {
            assertThat(verdicts(c)).as(c.name()).noneMatch(v -> v.outcome() == Outcome.ERROR);
        }
    }

    private static List<Verdict> verdicts(Case c) {
        return RULES.evaluate(c.object(), c.oldObject());
    }

    private static Set<String> failedRules(List<Verdict> verdicts) {
        return verdicts.stream().filter(v -> v.outcome() != Outcome.PASS).map(v -> v.rule().message())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /**
     * The case as the reconciler sees it. After an edit, status.backend.active is the old spec's backend, as the
     * operator recorded it once that spec was reconciled: what SpecValidation knows of the old object.
     */
    private static PubSubCluster cluster(Case c) {
        try {
            PubSubCluster p = Examples.STRICT.treeToValue(c.object(), PubSubCluster.class);
            if (c.oldSpec() != null) {
                PubSubCluster old = Examples.STRICT.treeToValue(c.oldObject(), PubSubCluster.class);
                p.setStatus(new PubSubClusterStatus());
                p.getStatus().backend = new PubSubClusterStatus.BackendStatus();
                p.getStatus().backend.active = old.getSpec().mq.backend.name();
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Case create(String name, String spec, String... refusedBy) {
        return new Case(name, spec, null, List.of(refusedBy));
    }

    private static Case edit(String name, String oldSpec, String spec, String... refusedBy) {
        return new Case(name, spec, oldSpec, List.of(refusedBy));
    }

    private static JsonNode document(String spec) {
        try {
            ObjectNode doc = (ObjectNode) Examples.STRICT.readTree("apiVersion: pubsub.imcluster.dev/v1alpha1\n"
                    + "kind: PubSubCluster\nmetadata: {name: cel-case}\n");
            // Several top-level fields in flow style need the braces of a flow mapping around them.
            doc.set("spec", Examples.STRICT.readTree(spec.startsWith("{") ? spec : "{" + spec + "}"));
            return doc;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A whole document's spec, in flow style, with its own name kept out (cases share one). */
    private static String specOf(String yaml) {
        try {
            return Examples.STRICT.readTree(yaml).path("spec").toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode withoutMetadata(JsonNode doc) {
        ObjectNode copy = doc.deepCopy();
        copy.remove(List.of("apiVersion", "kind", "metadata"));
        return copy;
    }
}
