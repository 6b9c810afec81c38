package dev.imcluster.nodeagent;

import java.util.Comparator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Replaces each container mount path (as a whole path prefix) in a value by its local directory. */
final class PathRewriter {
    private final Map<String, String> mounts;
    private final Pattern pattern;

    /** @param mounts container mount path -> local directory */
    PathRewriter(Map<String, String> mounts) {
        this.mounts = Map.copyOf(mounts);
        // One alternation, longest first, applied in one pass: a replaced local path that begins like a shorter
        // mount path (a /tmp emptyDir while the state dir is under /tmp) must not be rewritten again.
        this.pattern = mounts.isEmpty() ? null : Pattern.compile("(?<![\\w./-])("
                + mounts.keySet().stream().sorted(Comparator.comparingInt(String::length).reversed())
                        .map(Pattern::quote).collect(Collectors.joining("|"))
                + ")(?=/|$|[^\\w.-])");
    }

    String rewrite(String value) {
        if (pattern == null || value == null) {
            return value;
        }
        return pattern.matcher(value).replaceAll(m -> Matcher.quoteReplacement(mounts.get(m.group(1))));
    }
}
