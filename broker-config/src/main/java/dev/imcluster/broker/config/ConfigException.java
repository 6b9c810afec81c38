package dev.imcluster.broker.config;

import java.util.List;

/** A configuration the broker refuses to start with; the message names the key. */
public final class ConfigException extends RuntimeException {
    private final List<Problem> problems;

    public ConfigException(String message) {
        this(message, (Throwable) null);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
        this.problems = List.of();
    }

    /** Refused keys of a loaded config; the message lists them under {@code summary}. */
    public ConfigException(String summary, List<Problem> problems, Throwable cause) {
        super(problems.size() == 1 && summary.isEmpty() ? problems.get(0).toString()
                : summary + ":\n  " + String.join("\n  ", problems.stream().map(Problem::toString).toList()), cause);
        this.problems = List.copyOf(problems);
    }

    /**
     * Each refused key of the config with why (empty when the failure names no key, such as an unreadable file or
     * a bad environment variable); the operator reports these against the spec field that set the key.
     */
    public List<Problem> problems() {
        return problems;
    }

    /** One refused key, dotted as in the file ({@code comet.tcp.port}, {@code delivery.history[0].ttl}). */
    public record Problem(String key, String message) {
        @Override
        public String toString() {
            return key + ": " + message;
        }
    }
}
