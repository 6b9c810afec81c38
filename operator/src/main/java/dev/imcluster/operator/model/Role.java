package dev.imcluster.operator.model;

import java.util.List;

/** The broker's roles, each a Deployment, with the config sections each one reads. */
public enum Role {
    // comet verifies client JWTs on its public gRPC API itself, so it reads logic.auth (not the rest of logic).
    COMET("comet", List.of("bindAddress", "admin", "comet", "logic.auth", "delivery", "security")),
    LOGIC("logic", List.of("bindAddress", "admin", "logic", "delivery", "mq", "redis", "security")),
    JOB("job", List.of("bindAddress", "admin", "job", "delivery", "mq", "redis", "security"));

    private final String id;
    private final List<String> configSections;

    Role(String id, List<String> configSections) {
        this.id = id;
        this.configSections = configSections;
    }

    /** The role's name as the broker's command line and the labels spell it. */
    public String id() {
        return id;
    }

    /** Config sections this role reads (top-level keys, or dotted paths): only changes to these roll its pods. */
    public List<String> configSections() {
        return configSections;
    }
}
