package dev.imcluster.broker.comet;

import dev.imcluster.broker.api.internal.OnlineReq;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.CometConfig;
import dev.imcluster.broker.config.Listener;
import dev.imcluster.broker.config.LogicConfig;
import dev.imcluster.broker.security.JwtVerifier;
import dev.imcluster.broker.runtime.GrpcServers;
import dev.imcluster.broker.runtime.Health;
import dev.imcluster.broker.runtime.HostResolver;
import dev.imcluster.broker.runtime.Role;
import dev.imcluster.broker.runtime.RoleContext;
import dev.imcluster.broker.security.BearerAuth;
import dev.imcluster.broker.security.InternalToken;
import dev.imcluster.broker.security.InternalTls;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import dev.imcluster.broker.security.RateLimiter;
import dev.imcluster.broker.security.TlsCertificates;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The comet role: goim's client edge. Serves goim-protocol clients on TCP and WebSocket, gRPC topic subscribers
 * (PubSubService), and job's internal Comet service; authenticates and reports sessions through logic.
 *
 * <p>Ports set to 0 in the config bind free ports; {@link #tcpPort()} and friends return the bound ones.
 * {@link #close()} shuts comet down: it turns readiness and gRPC health to NOT_SERVING, stops accepting, ends topic
 * subscriptions with UNAVAILABLE and closes the goim clients (in waves over comet.reconnectSpread when there are more
 * than comet.reconnectSpreadAbove) so they reconnect to
 * another comet, waits up to {@code comet.drainTimeout} for them to go and for logic to record their departures,
 * then stops the internal gRPC server (job may push until then) and the event loops.
 */
public final class CometRole implements Role {
    private static final Logger LOG = LoggerFactory.getLogger(CometRole.class);
    private static final String HEALTH_CHECK = "comet";
    /** How many waves a spread shutdown closes its clients in. */
    private static final int SPREAD_WAVES = 10;

    private final RoleContext ctx;
    private final CometConfig config;
    private Transports transports;
    private CometContext comet;
    private GoimListeners listeners;
    private PubSubService pubsub;
    private Server internalGrpc;
    private Server pubsubGrpc;
    private HealthStatusManager internalHealth;
    private HealthStatusManager pubsubHealth;
    private ScheduledFuture<?> onlineReport;
    private TlsCertificates tls;
    private JwtVerifier jwt;
    private volatile boolean started;
    private volatile boolean closed;

    public CometRole(RoleContext ctx) {
        this.ctx = ctx;
        this.config = ctx.config().comet;
    }

    @Override
    public String name() {
        return "comet";
    }

    @Override
    public void start() throws Exception {
        BrokerConfig root = ctx.config();
        // Key files first: a bad one fails the start before anything is allocated.
        InternalToken internalToken = InternalToken.load(root.security.internalTokenFile);
        // Clients of the public gRPC API carry the same JWT as goim's Auth; goim mode trusts clients everywhere.
        jwt = root.logic.auth.mode == LogicConfig.AuthMode.jwt
                ? JwtVerifier.fromConfig(root.logic.auth, ctx.meters()) : null;
        transports = new Transports(Math.max(2, Runtime.getRuntime().availableProcessors()));
        Buckets buckets = new Buckets(config.buckets);
        CometMetrics metrics = new CometMetrics(ctx.meters(), buckets);
        InternalTls internalTls = ctx.internalTls();
        LogicClient logic = new LogicClient(config.logicAddress, transports, config.protocol.handshakeTimeout,
                internalToken, internalTls, config.logicResolveInterval, HostResolver.SYSTEM);
        comet = new CometContext(config, root.delivery, ctx.serverId(), buckets, logic, metrics, PooledByteBufAllocator.DEFAULT,
                new SourceAddressLimits(config, metrics, ctx.meters(),
                        new RateLimiter("comet", config.publishRateLimit, ctx.meters())));
        ctx.health().register(HEALTH_CHECK, this::check);
        try {
            tls = TlsCertificates.start(config.tls, ctx.meters());
            internalHealth = new HealthStatusManager();
            // job's calls: the internal token and, with internal TLS, a client certificate of the cluster's CA.
            ServerServiceDefinition internal = new BearerAuth("comet_grpc", BearerAuth.checks(internalToken, null),
                    ctx.meters()).protect(new CometService(comet));
            internalGrpc = grpcServer(config.grpc, internalTls == null ? internal
                            : internalTls.requireClientCertificate(internal), internalHealth,
                    internalTls == null ? null : internalTls.serverContext());
            pubsub = new PubSubService(comet);
            pubsubHealth = new HealthStatusManager();
            // Source address limits before auth.
            pubsubGrpc = grpcServer(config.pubsubGrpc, ServerInterceptors.intercept(
                            new BearerAuth("comet_pubsub_grpc", BearerAuth.checks(null, jwt), ctx.meters())
                                    .protect(pubsub), new SourceAddressGate(comet)),
                    pubsubHealth, tls == null ? null : tls.grpcContext());
            listeners = new GoimListeners(comet, transports, root.bindAddress, tls == null ? null : tls.nettyContext());
            listeners.start();
        } catch (Exception e) {
            close();
            throw e;
        }
        long every = config.onlineReportInterval.toNanos();
        onlineReport = transports.workers().next().scheduleAtFixedRate(this::reportOnline, every, every,
                TimeUnit.NANOSECONDS);
        started = true;
        LOG.info("comet {} serving ({}): goim tcp {}, websocket {}{}, mqtt {}, internal gRPC {}, pubsub gRPC {},"
                        + " logic at {}; client TLS {}, client JWT {}, internal token {}, internal TLS {}",
                ctx.serverId(), transports.name(), tcpPort(), websocketPort(), config.websocket.path, mqttPort(),
                grpcPort(), pubsubGrpcPort(), config.logicAddress, tls == null ? "off" : "on", jwt == null ? "off" : "on",
                internalToken == null ? "off" : "on", internalTls == null ? "off" : "on");
    }

    /** A gRPC server for {@code service} (health and reflection stay open), TLS if given. */
    private Server grpcServer(Listener listener, ServerServiceDefinition service, HealthStatusManager health,
                              SslContext tlsContext) throws IOException {
        if (!listener.enabled) {
            return null;
        }
        NettyServerBuilder builder = GrpcServers.permitPeerKeepAlive(NettyServerBuilder.forAddress(
                        new InetSocketAddress(ctx.config().bindAddress, listener.port)))
                .bossEventLoopGroup(transports.boss())
                .workerEventLoopGroup(transports.workers())
                .channelType(transports.serverChannel())
                .addService(service)
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance());
        if (tlsContext != null) {
            builder.sslContext(tlsContext);
        }
        Server server = builder.build().start();
        health.setStatus(service.getServiceDescriptor().getName(), ServingStatus.SERVING);
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
        return server;
    }

    private Health.Check check() {
        if (!started) {
            return Health.Check.down("starting");
        }
        if (comet.shuttingDown()) {
            return Health.Check.down("shutting down");
        }
        if (comet.logic.failing()) {
            return Health.Check.down("logic at " + config.logicAddress + " unreachable");
        }
        return Health.Check.up();
    }

    /**
     * Reports this comet's room counts (and the members of delivery.presence rooms) to logic and keeps the
     * cluster-wide counts for heartbeat replies.
     */
    private void reportOnline() {
        OnlineReq.Builder req = OnlineReq.newBuilder().setServer(ctx.serverId())
                .putAllRoomCount(comet.buckets.roomCounts());
        comet.presence.addTo(req);
        comet.logic.renewOnline(req.build()).whenComplete((reply, err) -> {
            if (err != null) {
                comet.metrics.logicError("renew_online");
                comet.logicLog.warn("logic RenewOnline failed: {}", LogicSession.describe(err));
            } else {
                comet.buckets.clusterOnline(reply.getAllRoomCountMap());
            }
        });
    }

    public int tcpPort() {
        return listeners == null ? -1 : listeners.tcpPort();
    }

    public int websocketPort() {
        return listeners == null ? -1 : listeners.websocketPort();
    }

    /** The MQTT listener's port; -1 unless comet.mqtt.enabled. */
    public int mqttPort() {
        return listeners == null ? -1 : listeners.mqttPort();
    }

    public int grpcPort() {
        return internalGrpc == null ? -1 : internalGrpc.getPort();
    }

    public int pubsubGrpcPort() {
        return pubsubGrpc == null ? -1 : pubsubGrpc.getPort();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (comet == null) {
            return;
        }
        long deadline = System.nanoTime() + config.drainTimeout.toNanos();
        comet.startShutdown();
        setHealth(ServingStatus.NOT_SERVING);
        if (onlineReport != null) {
            onlineReport.cancel(false);
        }
        if (listeners != null) {
            listeners.close();
        }
        if (pubsubGrpc != null) {
            pubsubGrpc.shutdown();
        }
        int clients = comet.clients.size();
        if (pubsub != null) {
            pubsub.endAll(Status.UNAVAILABLE.withDescription("comet is shutting down; subscribe again"));
        }
        closeSpread();
        comet.clients.close(); // and those still authenticating
        while (System.nanoTime() - deadline < 0
                && (!comet.clients.isEmpty() || comet.pendingDisconnects.get() > 0)) {
            sleepQuietly(20);
        }
        LOG.info("comet {} closed {} client connections on shutdown ({} still open, {} logic disconnects unconfirmed)",
                ctx.serverId(), clients, comet.clients.size(), comet.pendingDisconnects.get());
        stopServer(pubsubGrpc);
        stopServer(internalGrpc);
        comet.logic.close();
        if (tls != null) {
            tls.close();
        }
        if (jwt != null) {
            jwt.close();
        }
        transports.close();
        ctx.health().unregister(HEALTH_CHECK);
    }

    /**
     * Closes the authenticated connections (goim and MQTT): more than comet.reconnectSpreadAbove in ten waves over
     * comet.reconnectSpread, at most comet.drainTimeout (lame duck), so that their reconnects do not all hit the
     * other comets at once.
     */
    private void closeSpread() {
        java.util.List<Runnable> closes = new java.util.ArrayList<>();
        // "drain": the published reason label of imcluster_comet_disconnects_total
        comet.buckets.forEachConnection(c -> closes.add(() -> c.close("drain")));
        comet.mqttConnections.forEach(c -> closes.add(() -> c.close("drain",
                io.netty.handler.codec.mqtt.MqttReasonCodes.Disconnect.SERVER_SHUTTING_DOWN)));
        int waves = closes.size() > config.reconnectSpreadAbove ? Math.min(SPREAD_WAVES, closes.size()) : 1;
        long pauseMillis = Math.min(config.reconnectSpread.toMillis(), config.drainTimeout.toMillis()) / waves;
        int perWave = (closes.size() + waves - 1) / waves;
        for (int i = 0; i < closes.size(); i++) {
            closes.get(i).run();
            if ((i + 1) % perWave == 0 && i + 1 < closes.size() && pauseMillis > 0) {
                sleepQuietly(pauseMillis);
            }
        }
    }

    private void setHealth(ServingStatus status) {
        for (HealthStatusManager h : new HealthStatusManager[] {internalHealth, pubsubHealth}) {
            if (h != null) {
                h.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, status);
            }
        }
    }

    private static void stopServer(Server server) {
        if (server == null) {
            return;
        }
        server.shutdown();
        try {
            if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                server.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
