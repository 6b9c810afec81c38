package dev.imcluster.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;

/** The observed cluster, as the operator last saw it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PubSubClusterStatus {

    @JsonPropertyDescription("The metadata.generation this status describes.")
    public Long observedGeneration;

    @JsonPropertyDescription("Summary: Pending, Running, Degraded, Invalid or Paused.")
    public String phase;

    @JsonPropertyDescription("Conditions: Ready, Progressing, Degraded, SpecValid, BackendReady, Migrating, Paused. "
            + PodTemplateOverrides.EXPLAIN + "deployment.status.conditions (the same fields).")
    public List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("comet pods.")
    public RoleStatus comet;
    @JsonPropertyDescription("logic pods.")
    public RoleStatus logic;
    @JsonPropertyDescription("job pods.")
    public RoleStatus job;

    @JsonPropertyDescription("The queue backend.")
    public BackendStatus backend;

    @JsonPropertyDescription("Where clients and services connect.")
    public Endpoints endpoints;

    @JsonPropertyDescription("How comet authenticates clients: jwt-hs256, jwt-rs256, jwt-jwks, or unauthenticated.")
    public String clientAuth;

    @JsonPropertyDescription("Things the user should know that do not stop the cluster.")
    public List<String> warnings;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class RoleStatus {
        @JsonPropertyDescription("Desired pods.")
        public Integer replicas;
        @JsonPropertyDescription("Ready pods.")
        public Integer readyReplicas;
        @JsonPropertyDescription("readyReplicas/replicas, for kubectl get.")
        public String ready;
        @JsonPropertyDescription("The broker image the role's pods run: the Deployment's once every pod runs it "
                + "(rolled out); during a rollout the image rolled out before it.")
        public String image;
        @JsonPropertyDescription("The broker version the role's pods run: image's tag (latest when it has none), or "
                + "its digest.")
        public String version;

        public RoleStatus() {
        }

        public RoleStatus(int replicas, int readyReplicas) {
            this.replicas = replicas;
            this.readyReplicas = readyReplicas;
            this.ready = readyReplicas + "/" + replicas;
        }

        public boolean fullyReady() {
            return replicas != null && readyReplicas != null && readyReplicas >= replicas;
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class BackendStatus {
        @JsonPropertyDescription("Backend logic publishes to.")
        public String active;
        @JsonPropertyDescription("Backend being drained during a migration, or the last one migrated from.")
        public String previous;
        @JsonPropertyDescription("The running migration, if any.")
        public Migration migration;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Migration {
        @JsonPropertyDescription("DualConsume, SwitchPublish, Drain, Finalize, Complete, or Cancelled (reverted during DualConsume; see docs/BACKEND-SWAP.md).")
        public String phase;
        @JsonPropertyDescription("Backend being migrated from.")
        public String from;
        @JsonPropertyDescription("Backend being migrated to.")
        public String to;
        @JsonPropertyDescription("When the migration started (RFC 3339).")
        public String startedAt;
        @JsonPropertyDescription("When the current phase started (RFC 3339).")
        public String phaseStartedAt;
        @JsonPropertyDescription("When the migration completed (RFC 3339).")
        public String completedAt;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Endpoints {
        @JsonPropertyDescription("goim TCP endpoint (host:port).")
        public String tcp;
        @JsonPropertyDescription("goim WebSocket URL.")
        public String websocket;
        @JsonPropertyDescription("Client gRPC (PubSubService) endpoint (host:port).")
        public String grpc;
        @JsonPropertyDescription("logic's HTTP push API base URL.")
        public String push;
    }
}
