package dev.imcluster.broker.process;

import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.comet.CometRole;
import dev.imcluster.broker.config.ConfigException;
import dev.imcluster.broker.config.ConfigLoader;
import dev.imcluster.broker.config.JobConfig;
import dev.imcluster.broker.config.LogicConfig;
import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.http.HttpServer;
import dev.imcluster.broker.job.JobRole;
import dev.imcluster.broker.logic.LogicRole;
import dev.imcluster.broker.mq.MessageBus;
import dev.imcluster.broker.mq.MessageBuses;
import dev.imcluster.broker.runtime.Health;
import dev.imcluster.broker.runtime.Role;
import dev.imcluster.broker.runtime.RoleContext;
import dev.imcluster.broker.security.InternalTls;
import javax.net.ssl.SSLContext;
import dev.imcluster.broker.session.SessionStore;
import dev.imcluster.broker.session.SessionStores;
import dev.imcluster.broker.history.HistoryStore;
import dev.imcluster.broker.history.HistoryStores;
import dev.imcluster.common.metrics.ProcessMeters;
import dev.imcluster.common.metrics.PrometheusLint;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One broker process: builds the {@link RoleContext} (metrics, health, bus, session store), starts the roles
 * its mode names, serves the admin endpoints, and owns the shutdown: comet first (it closes its clients), then
 * logic, then job, then the bus and store, and the admin server last.
 */
public final class BrokerProcess implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BrokerProcess.class);

    /** The first command-line argument. */
    public enum Mode {
        comet, logic, job, standalone;

        public static Mode parse(String name) {
            for (Mode m : values()) {
                if (m.name().equals(name)) {
                    return m;
                }
            }
            throw new ConfigException("unknown role '" + name + "'; expected one of comet, logic, job, standalone");
        }

        /** Config defaults of this mode, under the file and the environment (see ConfigLoader.roleDefaults). */
        public Map<String, String> configDefaults() {
            return ConfigLoader.roleDefaults(name());
        }
    }

    private final Mode mode;
    private final RoleContext context;
    private final PrometheusMeterRegistry meters;
    private final List<Role> started = new ArrayList<>();
    private final List<AutoCloseable> closeAfterRoles = new ArrayList<>();
    private volatile boolean ready;
    private AdminServer admin;
    private boolean closed;

    private final MessageBus previousBus;

    private BrokerProcess(Mode mode, RoleContext context, PrometheusMeterRegistry meters, MessageBus previousBus) {
        this.previousBus = previousBus;
        this.mode = mode;
        this.context = context;
        this.meters = meters;
    }

    /** Starts every role of {@code mode}; on failure, whatever started is stopped and the error thrown. */
    public static BrokerProcess start(Mode mode, BrokerConfig config) throws Exception {
        if ((mode == Mode.logic || mode == Mode.job) && config.mq.backend == MqConfig.Backend.memory) {
            // Only standalone has logic and job in one JVM; alone, one side would publish or wait forever.
            throw new ConfigException("mq.backend: 'memory' only connects logic and job inside one process (standalone);"
                    + " the " + mode + " role needs mq.backend kafka, nats, redis or mqtt");
        }
        if (mode == Mode.logic && config.logic.sessionStore == LogicConfig.SessionStoreKind.memory) {
            log.warn("logic.sessionStore is memory: sessions are not shared with other logic replicas; use redis"
                    + " when running more than one");
        }
        String serverId = config.serverId != null && !config.serverId.isBlank() ? config.serverId : hostName();
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        meters.config().commonTags("role", mode.name());
        PrometheusLint.configure(meters);
        new ProcessMeters().bindTo(meters);
        Health health = new Health();
        MessageBus bus = null;
        MessageBus previousBus = null;
        SessionStore sessions = null;
        HistoryStore history = null;
        InternalTls internalTls = null;
        try {
            internalTls = InternalTls.start(config.security.internalTls, meters);
            SSLContext backendTls = internalTls == null ? null : internalTls.jdkContext();
            bus = mode == Mode.comet ? null : MessageBuses.create(config, config.mq.backend, meters, backendTls);
            MqConfig.Backend previous = config.mq.previous.asBackend();
            // Backend swap: only job reads the previous backend; logic publishes to mq.backend alone.
            previousBus = mode == Mode.job && previous != null
                    ? MessageBuses.create(config, previous, meters, backendTls) : null;
            sessions = mode == Mode.logic || mode == Mode.standalone ? SessionStores.create(config, meters) : null;
            history = mode == Mode.comet ? null : HistoryStores.create(config, meters);
        } catch (RuntimeException e) {
            closeQuietly(sessions);
            closeQuietly(previousBus);
            closeQuietly(bus);
            closeQuietly(internalTls);
            meters.close();
            throw e;
        }
        RoleContext ctx = new RoleContext(config, serverId, meters, health, bus, sessions, history, internalTls);
        BrokerProcess process = new BrokerProcess(mode, ctx, meters, previousBus);
        process.closeAfterRoles.add(previousBus);
        process.closeAfterRoles.add(bus);
        process.closeAfterRoles.add(sessions);
        process.closeAfterRoles.add(history);
        process.closeAfterRoles.add(internalTls);
        try {
            process.run();
            return process;
        } catch (Exception | Error e) {
            process.close();
            throw e;
        }
    }

    private void run() throws Exception {
        BrokerConfig config = context.config();
        context.health().register("process", () -> ready ? Health.Check.up() : Health.Check.down("starting"));
        admin = new AdminServer(config.bindAddress, config.admin.port, meters, context.health());
        LogicRole logic = null;
        if (mode == Mode.logic || mode == Mode.standalone) {
            logic = new LogicRole(context);
            startRole(logic);
        }
        if (mode == Mode.comet || mode == Mode.standalone) {
            if (logic != null && logic.grpcPort() > 0) {
                config.comet.logicAddress = "127.0.0.1:" + logic.grpcPort(); // standalone: this process's logic
            }
            CometRole comet = new CometRole(context);
            startRole(comet);
            if (mode == Mode.standalone && config.job.comets.mode == JobConfig.DiscoveryMode.STATIC_LIST) {
                // standalone: job fans out to this process's comet, known by its server id
                config.job.comets.addresses = new ArrayList<>(List.of(
                        context.serverId() + "=127.0.0.1:" + comet.grpcPort()));
            }
        }
        if (mode == Mode.job || mode == Mode.standalone) {
            JobRole job = new JobRole(context, previousBus);
            startRole(job);
            admin.route("/migration", () -> job.swapStatus().thenApply(json -> HttpServer.Reply.json(200, json)));
        }
        ready = true;
        log.info("imcluster broker '{}' started as {} (server id {}); admin on :{}", mode, mode,
                context.serverId(), admin.port());
    }

    private void startRole(Role role) throws Exception {
        role.start();
        started.add(role);
    }

    public Mode mode() {
        return mode;
    }

    public RoleContext context() {
        return context;
    }

    public int adminPort() {
        return admin.port();
    }

    public List<Role> roles() {
        return List.copyOf(started);
    }

    /** The running role of this type, if any. */
    public <T extends Role> Optional<T> role(Class<T> type) {
        return started.stream().filter(type::isInstance).map(type::cast).findFirst();
    }

    /** Graceful shutdown: comet (closes its clients), logic, job, then bus, store and admin. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        ready = false;
        if (admin != null) {
            admin.markStopping();
        }
        List<String> order = List.of("comet", "logic", "job");
        started.stream()
                .sorted(java.util.Comparator.comparingInt(r -> order.indexOf(r.name().toLowerCase(Locale.ROOT))))
                .forEach(role -> {
                    log.info("stopping {}", role.name());
                    closeQuietly(role);
                });
        closeAfterRoles.forEach(BrokerProcess::closeQuietly);
        closeQuietly(admin);
        meters.close();
        log.info("imcluster broker stopped");
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            log.warn("error while stopping {}: {}", c.getClass().getSimpleName(), e.toString());
        }
    }

    static String hostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
