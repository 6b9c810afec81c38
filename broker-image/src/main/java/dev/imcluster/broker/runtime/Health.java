package dev.imcluster.broker.runtime;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Readiness checks of this process, served at /readyz (200 only when all pass) and exported as a metric.
 * Liveness (/healthz) only says the process is serving.
 */
public final class Health {

    /** The result of one check: ok, or not with a reason. */
    public record Check(boolean ok, String detail) {
        public static Check up() {
            return new Check(true, "ok");
        }

        public static Check down(String detail) {
            return new Check(false, detail);
        }
    }

    private final Map<String, Supplier<Check>> checks = new ConcurrentHashMap<>();

    public void register(String name, Supplier<Check> check) {
        checks.put(name, check);
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
        return evaluate().values().stream().allMatch(Check::ok);
    }
}
