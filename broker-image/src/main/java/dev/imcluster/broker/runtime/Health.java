package dev.imcluster.broker.runtime;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Readiness checks of this process, served at /readyz (200 only when every critical check passes; advisory
 * checks are listed but never take the pod out of its Service). Liveness (/healthz) only says it is serving.
 */
public final class Health {

    /** The result of one check: ok, or not with a reason; advisory results do not make the process unready. */
    public record Check(boolean ok, String detail, boolean advisory) {
        public Check(boolean ok, String detail) {
            this(ok, detail, false);
        }

        public static Check up() {
            return new Check(true, "ok");
        }

        public static Check down(String detail) {
            return new Check(false, detail);
        }

        /** Counts for readiness: ok, or only advisory. */
        public boolean passes() {
            return ok || advisory;
        }
    }

    private final Map<String, Supplier<Check>> checks = new ConcurrentHashMap<>();

    public void register(String name, Supplier<Check> check) {
        checks.put(name, check);
    }

    /**
     * A check shown in /readyz that never makes the process unready: for a dependency only some requests need
     * (logic's session store: room pushes flow without it, so logic must stay in its Service).
     */
    public void registerAdvisory(String name, Supplier<Check> check) {
        checks.put(name, () -> {
            Check c = check.get();
            return new Check(c.ok(), c.detail(), true);
        });
    }

    public void unregister(String name) {
        checks.remove(name);
    }

    /** Runs every check; a check that throws counts as down. */
    public Map<String, Check> evaluate() {
        Map<String, Check> results = new java.util.TreeMap<>();
        checks.forEach((name, check) -> {
            Check result;
            try {
                result = check.get();
            } catch (RuntimeException e) {
                result = Check.down(e.toString());
            }
            results.put(name, result);
        });
        return results;
    }

    public boolean ready() {
        return evaluate().values().stream().allMatch(Check::passes);
    }
}
