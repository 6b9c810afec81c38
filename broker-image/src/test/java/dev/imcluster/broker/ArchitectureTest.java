package dev.imcluster.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The broker's floors: a package may use its own package family (mq and mq.kafka are one family) and any package
 * on a lower floor, never one on its own floor or above. So the roles do not call each other (they talk over gRPC
 * and the queue) and nothing below the process knows which roles exist. This table is the one source of truth;
 * docs/ARCHITECTURE.md shows it and {@link #theArchitectureDocShowsThisTable} keeps the two equal.
 */
class ArchitectureTest {

    /** Floor number by top-level package under dev.imcluster.broker ("" is the root: Main). Higher is above. */
    static final Map<String, Integer> FLOORS = floors(
            7, "",
            6, "demo",
            5, "process",
            4, "comet logic job",
            3, "runtime",
            2, "mq session history security http protocol",
            1, "redis",
            0, "config logging api");

    private static final String ROOT = "dev.imcluster.broker";
    private static final Pattern PACKAGE = Pattern.compile("(?m)^package\\s+([\\w.]+)\\s*;");
    /** Any import, static import or fully qualified name of a broker class: the package is the lowercase prefix. */
    private static final Pattern REFERENCE =
            Pattern.compile("\\bdev\\.imcluster\\.broker((?:\\.[a-z_][a-z0-9_]*)*)\\.[A-Z]");
    /** The broker's sources, and its config package's own module (imcluster-broker-config, shared with the operator). */
    private static final List<Path> SOURCES = List.of(Path.of("src/main/java"), Path.of("../broker-config/src/main/java"));

    @Test
    void noBrokerPackageUsesOneOnItsOwnFloorOrAbove() throws IOException {
        assertThat(violations(sources())).isEmpty();
    }

    @Test
    void everyBrokerPackageHasAFloor() throws IOException {
        Set<String> unplaced = new TreeSet<>();
        sources().forEach((file, text) -> {
            String family = family(packageOf(text));
            if (!FLOORS.containsKey(family)) {
                unplaced.add(family + " (" + file + ")");
            }
        });
        assertThat(unplaced).as("packages missing from ArchitectureTest.FLOORS").isEmpty();
    }

    @Test
    void theCheckCatchesAnUpwardASidewaysAndAFullyQualifiedReference() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("Up.java", "package dev.imcluster.broker.mq.kafka;\nimport dev.imcluster.broker.comet.Connection;\n");
        files.put("Side.java", "package dev.imcluster.broker.job;\nimport static dev.imcluster.broker.logic.X.y;\n");
        files.put("Fqn.java", "package dev.imcluster.broker.config;\nclass F { dev.imcluster.broker.logging.L l; }\n");
        files.put("Fine.java", "package dev.imcluster.broker.mq;\nimport dev.imcluster.broker.mq.kafka.KafkaBus;\n"
                + "import dev.imcluster.broker.redis.RedisClients;\nimport dev.imcluster.broker.api.internal.P;\n");
        assertThat(violations(files)).containsExactly(
                "Up.java: mq.kafka (floor 2) uses comet (floor 4)",
                "Side.java: job (floor 4) uses logic (floor 4)",
                "Fqn.java: config (floor 0) uses logging (floor 0)");
    }

    @Test
    void theArchitectureDocShowsThisTable() throws IOException {
        // The doc's table rows look like: | 4 | `comet`, `logic`, `job` | what they own |
        Pattern row = Pattern.compile("(?m)^\\|\\s*(\\d+)\\s*\\|([^|]*)\\|");
        Pattern name = Pattern.compile("`([a-z]*|\\(root\\))`");
        Map<String, Integer> documented = new TreeMap<>();
        Matcher rows = row.matcher(Files.readString(Path.of("../docs/ARCHITECTURE.md")));
        while (rows.find()) {
            Matcher names = name.matcher(rows.group(2));
            while (names.find()) {
                documented.put(names.group(1).equals("(root)") ? "" : names.group(1), Integer.parseInt(rows.group(1)));
            }
        }
        assertThat(documented).isEqualTo(new TreeMap<>(FLOORS));
    }

    static List<String> violations(Map<String, String> files) {
        List<String> found = new ArrayList<>();
        files.forEach((file, text) -> {
            String from = packageOf(text);
            Set<String> used = new TreeSet<>();
            Matcher m = REFERENCE.matcher(PACKAGE.matcher(text).replaceFirst(""));
            while (m.find()) {
                used.add(m.group(1).isEmpty() ? "" : m.group(1).substring(1));
            }
            for (String to : used) {
                if (family(to).equals(family(from))) {
                    continue;
                }
                int fromFloor = floor(from);
                int toFloor = floor(to);
                if (toFloor >= fromFloor) {
                    found.add(file + ": " + show(from) + " (floor " + fromFloor + ") uses " + show(to) + " (floor "
                            + toFloor + ")");
                }
            }
        });
        return found;
    }

    private static Map<String, String> sources() throws IOException {
        Map<String, String> files = new TreeMap<>();
        for (Path root : SOURCES) {
            int before = files.size();
            try (Stream<Path> paths = Files.walk(root)) {
                for (Path p : paths.filter(p -> p.toString().endsWith(".java")).toList()) {
                    files.put(root.relativize(p).toString(), Files.readString(p));
                }
            }
            assertThat(files.size()).as("broker sources under " + root.toAbsolutePath()).isGreaterThan(before);
        }
        return files;
    }

    /** The package relative to dev.imcluster.broker: "" for the root, "mq.kafka" for a backend. */
    private static String packageOf(String text) {
        Matcher m = PACKAGE.matcher(text);
        if (!m.find() || !(m.group(1) + ".").startsWith(ROOT + ".")) {
            throw new IllegalArgumentException("not a broker source: no 'package " + ROOT + "...;' line");
        }
        return m.group(1).equals(ROOT) ? "" : m.group(1).substring(ROOT.length() + 1);
    }

    private static String family(String pkg) {
        int dot = pkg.indexOf('.');
        return dot < 0 ? pkg : pkg.substring(0, dot);
    }

    private static int floor(String pkg) {
        Integer floor = FLOORS.get(family(pkg));
        if (floor == null) {
            throw new AssertionError("package '" + show(pkg) + "' has no floor in ArchitectureTest.FLOORS");
        }
        return floor;
    }

    private static String show(String pkg) {
        return pkg.isEmpty() ? "(root)" : pkg;
    }

    private static Map<String, Integer> floors(Object... floorAndPackages) {
        Map<String, Integer> floors = new LinkedHashMap<>();
        for (int i = 0; i < floorAndPackages.length; i += 2) {
            String names = (String) floorAndPackages[i + 1];
            for (String name : names.isEmpty() ? new String[] {""} : names.split(" ")) {
                floors.put(name, (Integer) floorAndPackages[i]);
            }
        }
        return Map.copyOf(floors);
    }
}
