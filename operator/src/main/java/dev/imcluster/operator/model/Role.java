package dev.imcluster.operator.model;

import java.util.List;

/** The broker's roles, each a Deployment, with the config sections each one reads. */
public enum Role {
    COMET("comet", List.of("bindAddress", "admin", "comet")),
    LOGIC("logic", List.of("bindAddress", "admin", "logic", "mq", "redis")),
    JOB("job", List.of("bindAddress", "admin", "job", "mq", "redis"));

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

    /** Top-level config keys this role reads: only changes to these roll its pods. */
    public List<String> configSections() {
        return configSections;
    }
}
