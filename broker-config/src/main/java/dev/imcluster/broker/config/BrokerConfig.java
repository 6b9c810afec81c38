package dev.imcluster.broker.config;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/**
 * The broker's whole configuration: one file (YAML or properties) plus {@code IMCLUSTER__...} environment
 * overrides, loaded strictly by {@link ConfigLoader}. Field names are the config keys; the defaults here are
 * goim's where goim has one. This file is the contract with the operator, which renders it.
 */
public final class BrokerConfig {

    @JsonPropertyDescription("This process's server id, as comets are named in sessions and pushes. Default: the host name.")
    public String serverId;

    @JsonPropertyDescription("Address every listener binds to.")
    public String bindAddress = "0.0.0.0";

    public AdminConfig admin = new AdminConfig();
    public CometConfig comet = new CometConfig();
    public LogicConfig logic = new LogicConfig();
    public JobConfig job = new JobConfig();
    public DeliveryConfig delivery = new DeliveryConfig();
    public MqConfig mq = new MqConfig();
    public RedisConfig redis = new RedisConfig();
    public SecurityConfig security = new SecurityConfig();

    /** /metrics, /healthz and /readyz; one per process, whatever roles it runs. */
    public static final class AdminConfig {
        public int port = 8080;
    }
}
