package dev.imcluster.operator.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The cases of e2e/hostile/ (see its README): one invalid or hostile PubSubCluster per file, with its header. */
public final class HostileCorpus {
    public enum Expect { rejected, invalid }

    /**
     * @param match     for rejected: the field path the schema error names; for invalid: part of the SpecValid message
     * @param aboutName the problem lies in the name (an edit of a running cluster cannot reproduce it)
     */
    public record Case(String file, String what, Expect expect, String match, boolean aboutName, String yaml) {
        @Override
        public String toString() {
            return file + " (" + what + ")";
        }
    }

    private HostileCorpus() {
    }

    public static Path dir() {
        return Examples.repoRoot().resolve("e2e/hostile");
    }

    public static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir())) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                String text = Files.readString(f);
                String expect = header(text, "expect");
                if (expect == null) {
                    continue;   // setup.yaml
                }
                cases.add(new Case(f.getFileName().toString(), header(text, "case"), Expect.valueOf(expect),
                        header(text, "match"), header(text, "about") != null, text));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return cases;
    }

    public static List<Case> cases(Expect expect) {
        return cases().stream().filter(c -> c.expect() == expect).toList();
    }

    private static String header(String text, String key) {
        for (String line : text.split("\n")) {
            if (line.startsWith("# " + key + ": ")) {
                return line.substring(key.length() + 4).trim();
            }
        }
        return null;
    }
}
