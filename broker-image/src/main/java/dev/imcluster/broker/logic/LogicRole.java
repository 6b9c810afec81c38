package dev.imcluster.broker.logic;

import dev.imcluster.broker.config.LogicConfig;
import dev.imcluster.broker.history.HistoryMetrics;
import dev.imcluster.broker.history.HistoryPolicy;
import dev.imcluster.broker.history.TopicHistory;
import dev.imcluster.broker.session.Presence;
import dev.imcluster.broker.http.HttpServer;
import dev.imcluster.broker.logic.auth.Authenticator;
import dev.imcluster.broker.security.JwtVerifier;
import dev.imcluster.broker.security.BearerAuth;
import dev.imcluster.broker.security.PermissionGate;
import dev.imcluster.broker.security.InternalToken;
import dev.imcluster.broker.security.InternalTls;
import io.grpc.ServerServiceDefinition;
import dev.imcluster.broker.security.RateLimiter;
import dev.imcluster.broker.runtime.GrpcServers;
import dev.imcluster.broker.runtime.Health;
import dev.imcluster.broker.runtime.Role;
import dev.imcluster.broker.runtime.RoleContext;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * logic (goim's logic): the HTTP push API on {@code logic.http}, and on {@code logic.grpc} the internal Logic
 * service for comets plus the public PubSubService.Publish. It publishes push envelopes to the bus and keeps
 * sessions in the session store.
 */
public final class LogicRole implements Role {

    private static final Logger log = LoggerFactory.getLogger(LogicRole.class);
    /** gRPC framing and field overhead on top of logic.maxMessageSize. */
    private static final int GRPC_OVERHEAD = 4096;

    private final RoleContext ctx;
    private final LogicConfig config;
    private HttpServer http;
    private GrpcServers.Running grpc;
    private SharedIdempotencyKeys idempotencyKeys;
    private JwtVerifier jwt;

    public LogicRole(RoleContext ctx) {
        this.ctx = ctx;
        this.config = ctx.config().logic;
    }

    @Override
    public String name() {
        return "logic";
    }

    @Override
    public void start() throws Exception {
        jwt = config.auth.mode == LogicConfig.AuthMode.jwt ? JwtVerifier.fromConfig(config.auth, ctx.meters()) : null;
        Authenticator authenticator = Authenticator.create(jwt);
        PushService push = new PushService(ctx.bus(), ctx.sessions(), ctx.serverId(), ctx.meters());
        OnlineService online = new OnlineService(ctx.sessions());
        PresenceService presence = new PresenceService(ctx.sessions(), online, push,
                new Presence(ctx.config().delivery.presence), config.topicOperation, ctx.meters());
        String bind = ctx.config().bindAddress;
        InternalToken internal = InternalToken.load(ctx.config().security.internalTokenFile);
        RateLimiter limiter = new RateLimiter("logic", config.pushRateLimit, ctx.meters());
        // With Redis sessions, idempotency keys hold across logic replicas too.
        idempotencyKeys = config.sessionStore == LogicConfig.SessionStoreKind.redis
                ? new SharedIdempotencyKeys(ctx.config(), config.idempotencyWindow) : null;
        if (config.grpc.enabled) {
            // Logic (comets only): the internal token. Publish (services and comets): the internal token, or a
            // client JWT in jwt mode; open only when neither is configured.
            BearerAuth internalOnly = new BearerAuth("logic_grpc", BearerAuth.checks(internal, null), ctx.meters());
            BearerAuth publishers = new BearerAuth("logic_pubsub_grpc", BearerAuth.checks(internal, jwt), ctx.meters());
            // With internal TLS, Logic also needs a client certificate; Publish keeps its bearer check.
            InternalTls tls = ctx.internalTls();
            ServerServiceDefinition logic = internalOnly.protect(new LogicGrpcService(authenticator, ctx.sessions(),
                    online, presence, config.clientHeartbeat, ctx.meters()));
            grpc = GrpcServers.start(bind, config.grpc.port, config.maxMessageSize + GRPC_OVERHEAD, List.of(
                    tls == null ? logic : tls.requireClientCertificate(logic),
                    publishers.protect(new LogicPubSubService(push, new TopicHistory(
                            new HistoryPolicy.Rules(ctx.config().delivery.history), ctx.history(),
                            new HistoryMetrics(ctx.meters())), presence, new IdempotentPublishes(config.idempotencyWindow,
                            config.idempotencyMaxKeys, idempotencyKeys), config.topicOperation, config.maxMessageSize,
                            limiter, new PermissionGate("logic", ctx.meters())))),
                    tls == null ? null : tls.serverContext());
        }
        if (config.http.enabled) {
            LogicHttpApi api = new LogicHttpApi(push, online);
            http = HttpServer.start("logic", bind, config.http.port, config.maxMessageSize, 2,
                    HttpServer.DEFAULT_REQUEST_TIMEOUT, ctx.meters(),
                    new PushApiGuard(internal, limiter, ctx.meters(), api::handle));
        }
        ctx.health().register("logic.bus", () -> ctx.bus().healthy() ? Health.Check.up()
                : Health.Check.down("queue '" + ctx.bus().name() + "' unreachable"));
        // Advisory: without sessions, connects and key pushes fail (clearly), but room pushes and topics flow.
        ctx.health().registerAdvisory("logic.sessions", () -> ctx.sessions().healthy() ? Health.Check.up()
                : Health.Check.down("session store unreachable"));
        log.info("logic serving: http :{} grpc :{} (auth mode {}, internal token {}, internal TLS {})", httpPort(),
                grpcPort(), config.auth.mode, internal == null ? "off" : "on", ctx.internalTls() == null ? "off" : "on");
    }

    /** The bound HTTP port (after start), or -1 when disabled. */
    public int httpPort() {
        return http == null ? -1 : http.port();
    }

    /** The bound gRPC port (after start), or -1 when disabled. */
    public int grpcPort() {
        return grpc == null ? -1 : grpc.port();
    }

    @Override
    public void close() {
        if (http != null) {
            http.close();
        }
        if (grpc != null) {
            grpc.close();
        }
        if (jwt != null) {
            jwt.close();
        }
        if (idempotencyKeys != null) {
            idempotencyKeys.close();
        }
        log.info("logic stopped");
    }
}
