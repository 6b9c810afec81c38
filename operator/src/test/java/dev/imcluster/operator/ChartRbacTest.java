package dev.imcluster.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.imcluster.operator.model.CertManagerModel;
import dev.imcluster.operator.model.ServiceMonitorModel;
import dev.imcluster.operator.reconciler.PubSubClusterReconciler;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.Event;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.Creator;
import io.javaoperatorsdk.operator.processing.dependent.Updater;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Deleter;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The chart's RBAC grants exactly what the operator's code uses: derived here from the code (the reconciler's primary
 * type, the workflow's dependents and the JOSDK operations they implement, the handful of direct client calls, leader
 * election), compared with the rules {@code helm template} renders, in both the cluster-wide and the namespaced mode.
 * A verb or kind the chart grants that the code does not use fails the test, and so does one the code uses that the
 * chart misses. A main class that starts talking to the API server directly fails it too, until its calls are
 * classified below.
 */
class ChartRbacTest {
    private static final Path ROOT = Path.of(System.getProperty("imcluster.repoRoot", ".."))
            .toAbsolutePath().normalize();
    private static final Path MAIN = ROOT.resolve("operator/src/main/java/dev/imcluster/operator");
    private static final Path CHART = ROOT.resolve("charts/imcluster-operator");
    private static final String RELEASE = "t";
    private static final String FULLNAME = "t-imcluster-operator";
    private static final String RELEASE_NS = "imcluster-system";
    private static final String[] ALL_ON = {"--set", "metrics.serviceMonitor.enabled=true",
            "--set", "metrics.prometheusRule.enabled=true"};

    /** One permission: API group ("" for core), resource (with subresource), verb. */
    record Grant(String group, String resource, String verb) implements Comparable<Grant> {
        @Override
        public int compareTo(Grant o) {
            return toString().compareTo(o.toString());
        }

        @Override
        public String toString() {
            return (group.isEmpty() ? "core" : group) + "/" + resource + ":" + verb;
        }
    }

    /** A direct client call site: the file must still make it (the regex matches), and it needs these grants. */
    record DirectCall(String file, String regex, Set<Grant> grants) {
    }

    // ---------------------------------------------------------------------------------------------------------
    // What the code needs

    /** Grants in every watched namespace (ClusterRole, or a Role per watched namespace). */
    static Set<Grant> workloadNeeds() throws Exception {
        Set<Grant> needs = new TreeSet<>();
        Class<? extends HasMetadata> primary = primaryType(PubSubClusterReconciler.class);

        // The controller's informer; PrimaryUpdateAndCacheUtils re-reads the primary when a status patch conflicts.
        add(needs, primary, "list", "watch");
        String statusPatch = source("reconciler/StatusPatch.java");
        assertThat(statusPatch).contains("PrimaryUpdateAndCacheUtils");
        add(needs, primary, "get");
        // The status is patched (SSA or JSON patch), never PUT; the primary itself is never written.
        String reconcilerSources = sources("reconciler");
        assertThat(reconcilerSources).containsPattern("(?i)patchStatus");
        assertThat(reconcilerSources)
                .as("the reconciler writes the primary itself or PUTs its status: add the verbs to the derivation")
                .doesNotContainPattern("UpdateControl\\.(patchResource|updateResource|patchResourceAndStatus"
                        + "|updateStatus)|updateStatusAndCacheResource|\\.updateStatus\\(|\\.editStatus\\(");
        needs.add(new Grant(HasMetadata.getGroup(primary), HasMetadata.getPlural(primary) + "/status", "patch"));
        if (Cleaner.class.isAssignableFrom(PubSubClusterReconciler.class)) {
            // JOSDK would add and remove a finalizer on the primary.
            add(needs, primary, "patch", "update");
        }
        // blockOwnerDeletion on an owner reference needs update on the owner's finalizers
        // (OwnerReferencesPermissionEnforcement).
        if (Pattern.compile("(set|with)BlockOwnerDeletion\\(true\\)").matcher(sources("")).find()) {
            needs.add(new Grant(HasMetadata.getGroup(primary), HasMetadata.getPlural(primary) + "/finalizers",
                    "update"));
        }

        // The workflow's dependents: JOSDK's operations, by the interfaces each implements. Both apply modes are
        // possible (IMCLUSTER_SSA): a server-side apply that creates is a patch that needs create too; without SSA,
        // an update is a PUT.
        Set<Class<? extends HasMetadata>> dependentKinds = new java.util.LinkedHashSet<>();
        for (Dependent d : PubSubClusterReconciler.class.getAnnotation(Workflow.class).dependents()) {
            DependentResource<?, ?> dependent = instantiate(d.type());
            @SuppressWarnings("unchecked")
            Class<? extends HasMetadata> kind = (Class<? extends HasMetadata>) dependent.resourceType();
            dependentKinds.add(kind);
            assertThat(dependent).as(d.type() + " is not a Kubernetes dependent: classify its calls")
                    .isInstanceOf(KubernetesDependentResource.class);
            add(needs, kind, "list", "watch");   // its informer, own or shared (useEventSourceWithName)
            if (dependent instanceof Creator) {
                add(needs, kind, "create", "patch");
            }
            if (dependent instanceof Updater) {
                add(needs, kind, "patch", "update");
            }
            if (dependent instanceof Deleter) {
                add(needs, kind, "delete");   // switched off by its condition, or surplus in a bulk dependent
            }
        }

        // Direct calls. OwnershipGuard reads each object the workflow is about to create.
        for (DirectCall call : directCalls(dependentKinds)) {
            assertThat(source(call.file())).as(call.file() + " no longer makes the call ChartRbacTest expects: "
                    + call.regex()).containsPattern(Pattern.compile(call.regex(), Pattern.DOTALL));
            needs.addAll(call.grants());
        }
        // ServiceMonitors and cert-manager Certificates: no informer (the CRD may be missing); the verbs are the
        // terminal operations of UntypedObjects, which handles both.
        Map<String, String> ops = Map.of("\\.get\\(\\)", "get", "\\.list\\(\\)", "list", "\\.create\\(\\)", "create",
                "\\.update\\(\\)", "update", "\\.delete\\(\\)", "delete", "\\.patch\\(", "patch",
                "\\.serverSideApply\\(\\)", "patch", "\\.(watch|inform)\\(", "watch");
        String code = source("reconciler/UntypedObjects.java");
        assertThat(source("reconciler/ServiceMonitorSync.java")).contains("UntypedObjects.sync(");
        assertThat(source("reconciler/CertManagerSync.java")).contains("UntypedObjects.sync(");
        ops.forEach((regex, verb) -> {
            if (Pattern.compile(regex).matcher(code).find()) {
                needs.add(new Grant(ServiceMonitorModel.GROUP, ServiceMonitorModel.PLURAL, verb));
                needs.add(new Grant(CertManagerModel.GROUP, CertManagerModel.PLURAL, verb));
            }
        });
        return needs;
    }

    static List<DirectCall> directCalls(Set<Class<? extends HasMetadata>> dependentKinds) {
        List<DirectCall> calls = new ArrayList<>();
        calls.add(new DirectCall("reconciler/EventRecorder.java", "v1\\(\\)\\.events\\(\\).*?\\.create\\(\\)",
                grants(Event.class, "create")));
        calls.add(new DirectCall("reconciler/HttpDrainProbe.java", "pods\\(\\).*?\\.list\\(\\)",
                grants(Pod.class, "list")));
        calls.add(new DirectCall("reconciler/SpecGate.java", "secrets\\(\\).*?\\.get\\(\\)",
                grants(Secret.class, "get")));
        calls.add(new DirectCall("reconciler/CertificateRotation.java", "secrets\\(\\).*?\\.get\\(\\)",
                grants(Secret.class, "get")));
        // A StatefulSet whose serviceName must change is deleted (its pods orphaned) and created again.
        calls.add(new DirectCall("reconciler/dependent/StatefulSetDependents.java",
                "resource\\(actual\\)\\.withPropagationPolicy\\(DeletionPropagation\\.ORPHAN\\)\\.delete\\(\\)",
                grants(StatefulSet.class, "delete")));
        Set<Grant> guard = new TreeSet<>();
        dependentKinds.forEach(k -> guard.addAll(grants(k, "get")));
        calls.add(new DirectCall("reconciler/OwnershipGuard.java", "resources\\(t\\.type\\(\\)\\).*?\\.get\\(\\)",
                guard));
        return calls;
    }

    /** Main classes that hold a client but only pass it on (or use discovery, open to every authenticated user). */
    private static final Set<String> PASS_THROUGH = Set.of("ImclusterOperator.java", "OperatorMain.java",
            "CachedCapabilities.java", "model/ApiCapabilities.java", "reconciler/DrainProbe.java",
            "reconciler/PubSubClusterReconciler.java", "reconciler/ServiceMonitorSync.java",
            "reconciler/CertManagerSync.java");
    private static final Set<String> CLASSIFIED = Set.of("reconciler/EventRecorder.java",
            "reconciler/HttpDrainProbe.java", "reconciler/SpecGate.java", "reconciler/OwnershipGuard.java",
            "reconciler/UntypedObjects.java", "reconciler/CertificateRotation.java",
            "reconciler/dependent/StatefulSetDependents.java");

    /**
     * Grants in the operator's own namespace: fabric8's LeaseLock gets and creates the Lease, and renews it with
     * PUT or, when taking it over, PATCH (seen as a denial in the e2e run when patch was missing).
     */
    static Set<Grant> leaderElectionNeeds() throws IOException {
        assertThat(source("ImclusterOperator.java")).contains("LeaderElectionConfiguration");
        return grants(Lease.class, "get", "create", "update", "patch");
    }

    @Test
    void everyMainClassThatTalksToTheApiServerIsClassified() throws IOException {
        List<String> unclassified;
        try (Stream<Path> files = Files.walk(MAIN)) {
            unclassified = files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> {
                        String s = read(f);
                        return s.contains("KubernetesClient") || s.contains("getClient()");
                    })
                    .map(f -> MAIN.relativize(f).toString().replace(File.separatorChar, '/'))
                    .filter(f -> !PASS_THROUGH.contains(f) && !CLASSIFIED.contains(f))
                    .sorted().toList();
        }
        assertThat(unclassified).as("these classes call the API server; list their calls in ChartRbacTest so the "
                + "chart's RBAC is checked against them").isEmpty();
    }

    // ---------------------------------------------------------------------------------------------------------
    // What the chart grants

    @Test
    void clusterWideGrantsExactlyWhatTheCodeUses() throws Exception {
        List<JsonNode> docs = render(ALL_ON);
        Map<String, Set<Grant>> roles = roles(docs);
        assertThat(roles.keySet()).containsExactlyInAnyOrder("ClusterRole/" + FULLNAME,
                "Role/" + RELEASE_NS + "/" + FULLNAME + "-leader-election");
        compare("ClusterRole " + FULLNAME, roles.get("ClusterRole/" + FULLNAME), workloadNeeds());
        compare("leader-election Role", roles.get("Role/" + RELEASE_NS + "/" + FULLNAME + "-leader-election"),
                leaderElectionNeeds());
        assertBound(docs, roles.keySet());
    }

    @Test
    void namespacedGrantsExactlyWhatTheCodeUsesInEachWatchedNamespace() throws Exception {
        List<JsonNode> docs = render(concat(ALL_ON, "--set", "watchNamespaces={team-a,team-b}"));
        Map<String, Set<Grant>> roles = roles(docs);
        assertThat(roles.keySet()).as("no ClusterRole in the namespaced mode").containsExactlyInAnyOrder(
                "Role/team-a/" + FULLNAME, "Role/team-b/" + FULLNAME,
                "Role/" + RELEASE_NS + "/" + FULLNAME + "-leader-election");
        for (String ns : List.of("team-a", "team-b")) {
            compare("Role " + ns + "/" + FULLNAME, roles.get("Role/" + ns + "/" + FULLNAME), workloadNeeds());
        }
        compare("leader-election Role", roles.get("Role/" + RELEASE_NS + "/" + FULLNAME + "-leader-election"),
                leaderElectionNeeds());
        assertBound(docs, roles.keySet());
    }

    @Test
    void withoutLeaderElectionNoLeaseIsGranted() throws Exception {
        Map<String, Set<Grant>> roles = roles(render(concat(ALL_ON, "--set", "leaderElection=false")));
        assertThat(roles.keySet()).containsExactly("ClusterRole/" + FULLNAME);
    }

    @Test
    void rbacCreateFalseRendersNoRbac() throws Exception {
        assertThat(roles(render("--set", "rbac.create=false"))).isEmpty();
    }

    private static void compare(String what, Set<Grant> granted, Set<Grant> needed) {
        Set<Grant> extra = new TreeSet<>(granted);
        extra.removeAll(needed);
        Set<Grant> missing = new TreeSet<>(needed);
        missing.removeAll(granted);
        if (!extra.isEmpty() || !missing.isEmpty()) {
            fail(what + " does not match what the operator's code uses:\n  granted but never used: " + extra
                    + "\n  used but not granted: " + missing
                    + "\n(fix charts/imcluster-operator/templates/_helpers.tpl or rbac.yaml, or the derivation in "
                    + "ChartRbacTest if the code changed)");
        }
    }

    /** Every Role/ClusterRole is bound to the operator's ServiceAccount, and nothing else is bound. */
    private static void assertBound(List<JsonNode> docs, Set<String> roleKeys) {
        Set<String> bound = new TreeSet<>();
        for (JsonNode d : docs) {
            String kind = d.path("kind").asText();
            if (!kind.equals("RoleBinding") && !kind.equals("ClusterRoleBinding")) {
                continue;
            }
            JsonNode ref = d.path("roleRef");
            String ns = d.path("metadata").path("namespace").asText();
            bound.add(ref.path("kind").asText() + "/" + (kind.equals("RoleBinding") ? ns + "/" : "")
                    + ref.path("name").asText());
            assertThat(d.path("subjects")).hasSize(1);
            JsonNode s = d.path("subjects").get(0);
            assertThat(s.path("kind").asText() + "/" + s.path("namespace").asText() + "/" + s.path("name").asText())
                    .isEqualTo("ServiceAccount/" + RELEASE_NS + "/" + FULLNAME);
        }
        assertThat(bound).isEqualTo(new TreeSet<>(roleKeys));
    }

    /** Role/ClusterRole key ("ClusterRole/name", "Role/ns/name") → its rules, expanded to single grants. */
    private static Map<String, Set<Grant>> roles(List<JsonNode> docs) {
        Map<String, Set<Grant>> roles = new TreeMap<>();
        for (JsonNode d : docs) {
            String kind = d.path("kind").asText();
            if (!kind.equals("Role") && !kind.equals("ClusterRole")) {
                continue;
            }
            String key = kind + "/" + (kind.equals("Role") ? d.path("metadata").path("namespace").asText() + "/" : "")
                    + d.path("metadata").path("name").asText();
            Set<Grant> grants = new TreeSet<>();
            for (JsonNode rule : d.path("rules")) {
                assertThat(rule.has("nonResourceURLs") || rule.has("resourceNames")).as(key + ": " + rule).isFalse();
                for (JsonNode g : rule.path("apiGroups")) {
                    for (JsonNode r : rule.path("resources")) {
                        for (JsonNode v : rule.path("verbs")) {
                            assertThat(List.of(g.asText(), r.asText(), v.asText())).as(key + ": no wildcards")
                                    .doesNotContain("*");
                            grants.add(new Grant(g.asText(), r.asText(), v.asText()));
                        }
                    }
                }
            }
            assertThat(roles.put(key, grants)).as("duplicate " + key).isNull();
        }
        return roles;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers

    /**
     * helm where the project's scripts install it (hack/lib.sh's {@code TOOLS_BIN_DIR}: {@code $IMCLUSTER_CACHE/bin},
     * by default {@code ${XDG_CACHE_HOME:-~/.cache}/imcluster/bin}; hack/test.sh fetches it there first), else on
     * the PATH.
     */
    static Path helm() {
        List<Path> dirs = new ArrayList<>();
        String tools = System.getenv("TOOLS_BIN_DIR");
        String cache = System.getenv("IMCLUSTER_CACHE");
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (tools != null && !tools.isBlank()) {
            dirs.add(Path.of(tools));
        }
        if (cache != null && !cache.isBlank()) {
            dirs.add(Path.of(cache, "bin"));
        }
        dirs.add(xdg != null && !xdg.isBlank() ? Path.of(xdg, "imcluster", "bin")
                : Path.of(System.getProperty("user.home"), ".cache", "imcluster", "bin"));
        String cacheDirs = dirs.toString();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                dirs.add(Path.of(dir));
            }
        }
        for (Path dir : dirs) {
            if (Files.isExecutable(dir.resolve("helm"))) {
                return dir.resolve("helm");
            }
        }
        throw new AssertionError("helm not found in " + cacheDirs + " nor on the PATH: ChartRbacTest renders the chart "
                + "with `helm template`; install it with hack/k8s-binaries.sh tools (hack/test.sh does)");
    }

    static List<JsonNode> render(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(helm().toString(), "template", RELEASE, CHART.toString(),
                "--namespace", RELEASE_NS));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail("helm template failed: " + String.join(" ", cmd) + "\n" + text);
        }
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class)
                .readValues(text)) {
            while (it.hasNext()) {
                JsonNode d = it.next();
                if (d != null && !d.isNull() && !d.isMissingNode()) {
                    docs.add(d);
                }
            }
        }
        return docs;
    }

    @SuppressWarnings("unchecked")
    private static Class<? extends HasMetadata> primaryType(Class<?> reconciler) {
        for (Type t : reconciler.getGenericInterfaces()) {
            if (t instanceof ParameterizedType pt && pt.getRawType() == Reconciler.class) {
                return (Class<? extends HasMetadata>) pt.getActualTypeArguments()[0];
            }
        }
        throw new AssertionError(reconciler + " implements no Reconciler<P>");
    }

    private static DependentResource<?, ?> instantiate(Class<?> type) throws Exception {
        Constructor<?> c = type.getDeclaredConstructor();
        c.setAccessible(true);
        return (DependentResource<?, ?>) c.newInstance();
    }

    private static void add(Set<Grant> to, Class<? extends HasMetadata> kind, String... verbs) {
        to.addAll(grants(kind, verbs));
    }

    private static Set<Grant> grants(Class<? extends HasMetadata> kind, String... verbs) {
        return Stream.of(verbs).map(v -> new Grant(HasMetadata.getGroup(kind), HasMetadata.getPlural(kind), v))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static String source(String relative) throws IOException {
        return Files.readString(MAIN.resolve(relative));
    }

    private static String sources(String dir) throws IOException {
        try (Stream<Path> files = Files.walk(MAIN.resolve(dir))) {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().map(ChartRbacTest::read)
                    .collect(Collectors.joining("\n"));
        }
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }
}
