package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.CometGrpc;
import dev.imcluster.broker.api.internal.HeartbeatReq;
import dev.imcluster.broker.api.internal.LogicGrpc;
import dev.imcluster.broker.api.internal.RoomsReq;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.job.JobRole;
import dev.imcluster.broker.logic.LogicRole;
import dev.imcluster.broker.mq.memory.InMemoryBus;
import dev.imcluster.broker.runtime.Health;
import dev.imcluster.broker.runtime.RoleContext;
import dev.imcluster.broker.security.Bearer;
import dev.imcluster.broker.security.InternalTls;
import dev.imcluster.broker.security.TestCerts;
import dev.imcluster.broker.session.memory.InMemorySessionStore;
import dev.imcluster.broker.testing.TestSupport;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * logic, comet and job as separate roles on loopback with security.internalTls, as the operator deploys them:
 * every role-to-role call is mutual TLS (checked against serverName, since job dials comets by address) beside
 * the internal token; a caller without a certificate of the cluster's CA is refused and counted on every internal
 * port; and the certificates and the CA rotate under traffic, picked up from the files, with no restart and no
 * stream or message lost.
 */
class InternalMtlsEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TOKEN = "internal-token-0123456789abcdef";
    private static final String SERVER_NAME = "demo.default.imcluster.internal";

    @TempDir
    static Path certs;
    static TestCerts.Authority caA;
    static TestCerts.Authority caB;
    static TestCerts leafA;
    static TestCerts leafB;
    static TestCerts expiredA;
    static TestCerts selfSigned;

    @TempDir
    Path dir;

    private final InMemoryBus bus = new InMemoryBus(new SimpleMeterRegistry());
    private final InMemorySessionStore sessions = TestSupport.sessions();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<RoleContext> contexts = new ArrayList<>();
    private RoleContext logicCtx;
    private RoleContext cometCtx;
    private LogicRole logic;
    private CometRole comet;

    @BeforeAll
    static void certificates() throws Exception {
        caA = TestCerts.Authority.create(certs, "imcluster-ca-1");
        caB = TestCerts.Authority.create(certs, "imcluster-ca-2");
        leafA = caA.issue(certs, "demo-internal", null, 2, SERVER_NAME);
        leafB = caB.issue(certs, "demo-internal", null, 2, SERVER_NAME);
        expiredA = caA.issue(certs, "demo-expired", "-3d", 1, SERVER_NAME);
        selfSigned = TestCerts.generate(certs, SERVER_NAME, "EC");
    }

    private int versions;

    /**
     * As kubelet updates a Secret volume: the three files of a new version appear at once, by swapping the
     * {@code ..data} symlink the file names point through.
     */
    private void mount(TestCerts leaf, String caBundle) throws Exception {
        Path version = Files.createDirectory(dir.resolve("..v" + ++versions));
        Files.writeString(version.resolve("tls.crt"), leaf.certPem());
        Files.writeString(version.resolve("tls.key"), leaf.keyPem());
        Files.writeString(version.resolve("ca.crt"), caBundle);
        Path link = Files.createSymbolicLink(dir.resolve("..data_tmp"), version.getFileName());
        Files.move(link, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (versions == 1) {
            for (String name : List.of("tls.crt", "tls.key", "ca.crt")) {
                Files.createSymbolicLink(dir.resolve(name), Path.of("..data", name));
            }
        }
    }

    private BrokerConfig config() throws Exception {
        BrokerConfig c = TestSupport.loopbackConfig();
        c.security.internalTokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n").toString();
        c.security.internalTls.certFile = dir.resolve("tls.crt").toString();
        c.security.internalTls.keyFile = dir.resolve("tls.key").toString();
        c.security.internalTls.caFile = dir.resolve("ca.crt").toString();
        c.security.internalTls.serverName = SERVER_NAME;
        c.security.internalTls.reloadInterval = Duration.ofMillis(200);
        return c;
    }

    private RoleContext context(BrokerConfig config, String serverId, InMemoryBus bus, InMemorySessionStore sessions) {
        MeterRegistry meters = new SimpleMeterRegistry();
        InternalTls tls = InternalTls.start(config.security.internalTls, meters);
        closeables.add(tls);
        RoleContext ctx = new RoleContext(config, serverId, meters, new Health(), bus, sessions, TestSupport.history(),
                tls);
        contexts.add(ctx);
        return ctx;
    }

    @BeforeEach
    void start() throws Exception {
        mount(leafA, caA.certPem());
        logicCtx = context(config(), "logic-1", bus, sessions);
        logic = new LogicRole(logicCtx);
        logic.start();
        closeables.add(0, logic);

        BrokerConfig cometConfig = config();
        cometConfig.comet.logicAddress = "127.0.0.1:" + logic.grpcPort();
        cometConfig.comet.onlineReportInterval = Duration.ofMillis(200);
        cometConfig.comet.drainTimeout = Duration.ofSeconds(2);
        cometCtx = context(cometConfig, "comet-1", null, null);
        comet = new CometRole(cometCtx);
        comet.start();
        closeables.add(0, comet);

        BrokerConfig jobConfig = config();
        jobConfig.job.roomBatch.maxDelay = Duration.ofMillis(20);
        // By address, as discovery gives pods: the certificate is checked against serverName instead.
        jobConfig.job.comets.addresses = new ArrayList<>(List.of("comet-1=127.0.0.1:" + comet.grpcPort()));
        JobRole job = new JobRole(context(jobConfig, "job-1", bus, null));
        job.start();
        closeables.add(1, job);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        bus.close();
    }

    /** A TLS channel trusting {@code ca}, presenting {@code leaf} (none if null). */
    private ManagedChannel tls(int port, TestCerts.Authority ca, TestCerts leaf) {
        SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(ca.certificate());
        if (leaf != null) {
            ssl.keyManager(new Presenting(leaf));
        }
        ManagedChannel channel;
        try {
            channel = NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(ssl.build())
                    .overrideAuthority(SERVER_NAME).build();
        } catch (javax.net.ssl.SSLException e) {
            throw new IllegalStateException(e);
        }
        closeables.add(0, channel::shutdownNow);
        return channel;
    }

    /**
     * Presents {@code leaf} whatever CAs the server names (the JDK's own key manager sends nothing the server
     * would not trust, but an attacker's client does).
     */
    private static final class Presenting extends javax.net.ssl.X509ExtendedKeyManager {
        private final TestCerts leaf;

        Presenting(TestCerts leaf) {
            this.leaf = leaf;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers,
                                              javax.net.ssl.SSLEngine engine) {
            return "leaf";
        }

        @Override
        public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket s) {
            return "leaf";
        }

        @Override
        public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
            return new String[] {"leaf"};
        }

        @Override
        public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket s) {
            return null;
        }

        @Override
        public java.security.cert.X509Certificate[] getCertificateChain(String alias) {
            return new java.security.cert.X509Certificate[] {leaf.certificate()};
        }

        @Override
        public java.security.PrivateKey getPrivateKey(String alias) {
            return leaf.key();
        }
    }

    private ManagedChannel plaintext(int port) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        closeables.add(0, channel::shutdownNow);
        return channel;
    }

    private static <S extends AbstractStub<S>> S internal(S stub) {
        Metadata headers = new Metadata();
        headers.put(Bearer.AUTHORIZATION, "Bearer " + TOKEN);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static Status refusal(Runnable call) {
        return catchThrowableOfType(StatusRuntimeException.class, call::run).getStatus();
    }

    private static double counter(RoleContext ctx, String name, String... tags) {
        Counter c = ctx.meters().find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    private static double refused(RoleContext ctx, String peer, String reason) {
        return counter(ctx, "imcluster.internal.tls.refused", "peer", peer, "reason", reason);
    }

    private void rooms(ManagedChannel channel) {
        internal(CometGrpc.newBlockingStub(channel)).rooms(RoomsReq.getDefaultInstance());
    }

    private void heartbeat(ManagedChannel channel) {
        internal(LogicGrpc.newBlockingStub(channel)).heartbeat(HeartbeatReq.newBuilder().setMid(1).setKey("k")
                .setServer("tester").build());
    }

    private static PublishRequest publish(String payload) {
        return PublishRequest.newBuilder().setTopic("live://mtls").setPayload(ByteString.copyFromUtf8(payload)).build();
    }

    @Test
    void everyInternalPortRefusesACallerWithoutAValidCertificateAndCountsIt() throws Exception {
        // The roles reach each other: comet -> logic (Connect) and job -> comet (the push) are mutual TLS.
        try (GoimClient client = GoimClient.connect(Transport.TCP, comet.tcpPort())) {
            client.auth("{\"room_id\":\"live://mtls\",\"accepts\":[1000]}");
            PubSubServiceGrpc.newBlockingStub(plaintext(comet.pubsubGrpcPort())).publish(publish("hello"));
            assertThat(client.expectPush().text()).isEqualTo("hello");
        }

        for (int port : new int[] {comet.grpcPort(), logic.grpcPort()}) {
            // Plaintext gets no further than the TLS handshake.
            assertThat(refusal(() -> rooms(plaintext(port))).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            // A certificate of another CA, or an expired one of ours: refused at the handshake.
            assertThat(refusal(() -> rooms(tls(port, caA, selfSigned))).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(refusal(() -> rooms(tls(port, caA, expiredA))).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        }
        for (RoleContext ctx : List.of(cometCtx, logicCtx)) {
            assertThat(refused(ctx, "client", "untrusted")).as(ctx.serverId()).isEqualTo(1);
            assertThat(refused(ctx, "client", "expired")).as(ctx.serverId()).isEqualTo(1);
        }

        // TLS without a client certificate: the internal services refuse the call, health stays open.
        ManagedChannel anonymousComet = tls(comet.grpcPort(), caA, null);
        Status noCert = refusal(() -> rooms(anonymousComet));
        assertThat(noCert.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(noCert.getDescription()).contains("client certificate");
        assertThat(HealthGrpc.newBlockingStub(anonymousComet).check(HealthCheckRequest.getDefaultInstance())
                .getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        ManagedChannel anonymousLogic = tls(logic.grpcPort(), caA, null);
        assertThat(refusal(() -> heartbeat(anonymousLogic)).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(refused(cometCtx, "client", "no_certificate")).isEqualTo(1);
        assertThat(refused(logicCtx, "client", "no_certificate")).isEqualTo(1);
        // logic's public Publish on the same port keeps its own check (the internal token, or a client JWT).
        internal(PubSubServiceGrpc.newBlockingStub(anonymousLogic)).publish(publish("service"));

        // The certificate alone is not enough: the internal token stays a second factor.
        ManagedChannel trusted = tls(comet.grpcPort(), caA, leafA);
        assertThat(refusal(() -> CometGrpc.newBlockingStub(trusted).rooms(RoomsReq.getDefaultInstance())).getCode())
                .isEqualTo(Status.Code.UNAUTHENTICATED);
        rooms(trusted);
        heartbeat(tls(logic.grpcPort(), caA, leafA));
    }

    @Test
    void aRoleRefusesAPeerWhoseCertificateDoesNotNameTheCluster() throws Exception {
        BrokerConfig config = config();
        config.security.internalTls.serverName = "other.default.imcluster.internal";
        config.comet.logicAddress = "127.0.0.1:" + logic.grpcPort();
        RoleContext ctx = context(config, "comet-2", null, null);
        CometRole misnamed = new CometRole(ctx);
        closeables.add(0, misnamed);
        misnamed.start();
        // Its Connect to logic fails at the handshake, so the client is not let in.
        try (GoimClient client = GoimClient.connect(Transport.TCP, misnamed.tcpPort())) {
            client.send(7, 1, "{\"room_id\":\"live://mtls\"}");
            client.awaitClosed();
        }
        assertThat(refused(ctx, "server", "wrong_name")).isPositive();
    }

    @Test
    void certificatesAndTheCaRotateUnderTrafficWithNoRestartNoDroppedStreamNoLostMessage() throws Exception {
        ManagedChannel pubsub = plaintext(comet.pubsubGrpcPort());
        SubscribeStream stream = new SubscribeStream();
        PubSubServiceGrpc.newStub(pubsub).subscribe(SubscribeRequest.newBuilder().setTopic("live://mtls").build(),
                stream);
        await().atMost(WAIT).until(() -> cometCtx.meters().find("imcluster.comet.topic.subscribers").gauge()
                .value() == 1);
        try (GoimClient client = GoimClient.connect(Transport.TCP, comet.tcpPort())) {
            client.auth("{\"room_id\":\"live://mtls\",\"accepts\":[1000]}");
            var publisher = PubSubServiceGrpc.newBlockingStub(pubsub);
            List<String> sent = new ArrayList<>();
            Runnable round = () -> {
                String payload = "m" + sent.size();
                sent.add(payload);
                publisher.publish(publish(payload));
            };

            round.run();
            // 1. The new CA joins the bundle before any certificate of it is used.
            mount(leafA, caA.certPem() + caB.certPem());
            awaitReloads(1);
            round.run();
            // 2. Every role switches to a certificate of the new CA (in any order: all trust both).
            mount(leafB, caA.certPem() + caB.certPem());
            awaitReloads(2);
            round.run();
            // New connections get the new certificate: a client trusting only the new CA is served.
            rooms(tls(comet.grpcPort(), caB, leafB));
            heartbeat(tls(logic.grpcPort(), caB, leafB));
            // 3. The old CA leaves the bundle: its certificates are refused from now on.
            mount(leafB, caB.certPem());
            awaitReloads(3);
            round.run();
            assertThat(refusal(() -> rooms(tls(comet.grpcPort(), caB, leafA))).getCode())
                    .isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(refused(cometCtx, "client", "untrusted")).isEqualTo(1);

            // Every message reached both subscribers, in order; neither connection was dropped.
            List<String> goim = client.expectPushes(sent.size()).stream().map(GoimClient.Received::text).toList();
            assertThat(goim).isEqualTo(sent);
            for (String payload : sent) {
                assertThat(stream.nextPayload()).isEqualTo(payload);
            }
            assertThat(stream.end).isNotDone();
            client.heartbeat();
        }
        for (RoleContext ctx : contexts) {
            assertThat(counter(ctx, "imcluster.tls.reloads", "certificate", "internal", "result", "failure"))
                    .as(ctx.serverId()).isZero();
            assertThat(ctx.meters().find("imcluster.tls.certificate.not.after").tag("certificate", "internal").gauge()
                    .value()).isEqualTo(leafB.certificate().getNotAfter().getTime() / 1000.0);
        }
    }

    /** Until every role has loaded {@code n} changes of its files. */
    private void awaitReloads(int n) {
        for (RoleContext ctx : contexts) {
            await().atMost(WAIT).until(() -> counter(ctx, "imcluster.tls.reloads", "certificate", "internal",
                    "result", "success") >= n);
        }
    }
}
