package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.sun.net.httpserver.HttpServer;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.LogicConfig;
import dev.imcluster.broker.logic.LogicRole;
import dev.imcluster.broker.mq.memory.InMemoryBus;
import dev.imcluster.broker.runtime.RoleContext;
import dev.imcluster.broker.security.Bearer;
import dev.imcluster.broker.security.JwtRefusal;
import dev.imcluster.broker.security.JwtTestTokens;
import dev.imcluster.broker.security.JwtTestTokens.SigningKey;
import dev.imcluster.broker.testing.TestSupport;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * logic and comet verifying client JWTs with keys from an identity provider's JWK Set URL, served by a local HTTP
 * server: goim TCP and WebSocket clients and a gRPC subscriber with a valid token are accepted; every kind of bad
 * token is refused on each of them, and its reason is counted (and, on gRPC, given to the client); a key rotated at
 * the identity provider is used with no restart.
 */
class JwksEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String ISSUER = "https://idp.example";
    private static final String AUDIENCE = "chat";

    @TempDir
    Path dir;

    private final InMemoryBus bus = new InMemoryBus(new SimpleMeterRegistry());
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private SigningKey key;
    /** What the identity provider serves now; a test rotates it. */
    private volatile byte[] jwks;
    private HttpServer idp;
    private RoleContext logicCtx;
    private RoleContext cometCtx;
    private CometRole comet;

    @BeforeEach
    void start() throws Exception {
        key = SigningKey.generate(JWSAlgorithm.ES256, "idp-2026");
        jwks = JwtTestTokens.jwks(key).getBytes(StandardCharsets.UTF_8);
        idp = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        idp.createContext("/.well-known/jwks.json", exchange -> {
            byte[] body = jwks;
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        idp.start();
        closeables.add(() -> idp.stop(0));

        logicCtx = TestSupport.context(config(), "logic-1", bus, TestSupport.sessions());
        LogicRole logic = new LogicRole(logicCtx);
        logic.start();
        closeables.add(0, logic);
        BrokerConfig cometConfig = config();
        cometConfig.comet.logicAddress = "127.0.0.1:" + logic.grpcPort();
        cometConfig.comet.drainTimeout = Duration.ofSeconds(1);
        cometCtx = TestSupport.context(cometConfig, "comet-1", null, null);
        comet = new CometRole(cometCtx);
        comet.start();
        closeables.add(0, comet);
    }

    private BrokerConfig config() throws Exception {
        BrokerConfig c = TestSupport.loopbackConfig();
        c.security.internalTokenFile = Files.writeString(dir.resolve("token"), "internal-token-0123456789abcdef")
                .toString();
        c.logic.auth.mode = LogicConfig.AuthMode.jwt;
        c.logic.auth.jwksUrl = "http://127.0.0.1:" + idp.getAddress().getPort() + "/.well-known/jwks.json";
        c.logic.auth.issuer = ISSUER;
        c.logic.auth.audience = AUDIENCE;
        return c;
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        bus.close();
    }

    private int port(Transport t) {
        return t == Transport.TCP ? comet.tcpPort() : comet.websocketPort();
    }

    private String jwt(long expiresAt) throws Exception {
        return jwt(key, expiresAt);
    }

    private static String jwt(SigningKey signer, long expiresAt) throws Exception {
        return signer.sign(claims("\"exp\":" + expiresAt));
    }

    /** Valid claims for this cluster, plus {@code extra} (a JSON member list, may be empty). */
    private static String claims(String extra) {
        return "{\"sub\":\"42\",\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\""
                + (extra.isEmpty() ? "" : "," + extra) + "}";
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    private static double refused(MeterRegistry meters, String reason) {
        Counter c = meters.find("imcluster.auth.refused").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    private SubscribeStream subscribe(String token) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", comet.pubsubGrpcPort())
                .usePlaintext().build();
        closeables.add(0, channel::shutdownNow);
        Metadata headers = new Metadata();
        headers.put(Bearer.AUTHORIZATION, "Bearer " + token);
        SubscribeStream collector = new SubscribeStream();
        PubSubServiceGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .subscribe(SubscribeRequest.newBuilder().setTopic("live://jwks").build(), collector);
        return collector;
    }

    @Test
    void clientsWithATokenFromTheJwksAreAcceptedOnEveryTransport() throws Exception {
        String token = jwt(System.currentTimeMillis() / 1000 + 3600);
        for (Transport t : Transport.values()) {
            try (GoimClient client = GoimClient.connect(t, port(t))) {
                client.auth("{\"room_id\":\"live://jwks\",\"token\":\"" + token + "\"}");
                client.heartbeat();
            }
        }
        subscribe(token);
        await().atMost(WAIT).until(() -> subscribers() == 1);
        assertThat(refused(logicCtx.meters(), "expired") + refused(cometCtx.meters(), "expired")).isZero();
    }

    @Test
    void anExpiredTokenIsRefusedWithItsReasonOnEveryTransport() throws Exception {
        String expired = jwt(System.currentTimeMillis() / 1000 - 3600);
        for (Transport t : Transport.values()) {
            try (GoimClient client = GoimClient.connect(t, port(t))) {
                client.send(7, 1, "{\"room_id\":\"live://jwks\",\"token\":\"" + expired + "\"}");
                client.awaitClosed(); // goim has no error reply to Auth: the connection is closed
            }
        }
        assertThat(refused(logicCtx.meters(), "expired")).isEqualTo(Transport.values().length);

        Status status = subscribe(expired).end.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(status.getDescription()).isEqualTo("expired: JWT has expired");
        assertThat(refused(cometCtx.meters(), "expired")).isEqualTo(1);
    }

    @Test
    void everyKindOfBadTokenIsRefusedWithItsReasonOnEveryTransport() throws Exception {
        Map<JwtRefusal, String> tokens = new EnumMap<>(JwtRefusal.class);
        tokens.put(JwtRefusal.MALFORMED, "not.a-jwt");
        tokens.put(JwtRefusal.ALGORITHM_NOT_ALLOWED, JwtTestTokens.unsigned(claims("")));
        tokens.put(JwtRefusal.UNKNOWN_KEY, SigningKey.generate(JWSAlgorithm.ES256, "not-at-the-idp").sign(claims("")));
        // The identity provider's kid, signed by another key.
        tokens.put(JwtRefusal.BAD_SIGNATURE, SigningKey.generate(JWSAlgorithm.ES256, "idp-2026").sign(claims("")));
        tokens.put(JwtRefusal.EXPIRED, jwt(now() - 3600));
        tokens.put(JwtRefusal.NOT_YET_VALID, key.sign(claims("\"nbf\":" + (now() + 3600))));
        tokens.put(JwtRefusal.WRONG_ISSUER, key.sign("{\"sub\":\"42\",\"iss\":\"https://evil.example\",\"aud\":\""
                + AUDIENCE + "\"}"));
        tokens.put(JwtRefusal.WRONG_AUDIENCE, key.sign("{\"sub\":\"42\",\"iss\":\"" + ISSUER
                + "\",\"aud\":[\"ads\"]}"));
        assertThat(tokens.keySet()).containsExactly(JwtRefusal.values());

        for (Map.Entry<JwtRefusal, String> t : tokens.entrySet()) {
            String reason = t.getKey().tag();
            for (Transport transport : Transport.values()) {
                try (GoimClient client = GoimClient.connect(transport, port(transport))) {
                    client.send(7, 1, "{\"room_id\":\"live://jwks\",\"token\":\"" + t.getValue() + "\"}");
                    client.awaitClosed(); // goim has no error reply to Auth: the connection is closed
                }
            }
            assertThat(refused(logicCtx.meters(), reason)).as(reason + " on goim TCP and WebSocket")
                    .isEqualTo(Transport.values().length);

            Status status = subscribe(t.getValue()).end.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(status.getCode()).as(reason).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(status.getDescription()).as(reason).startsWith(reason + ": ");
            assertThat(refused(cometCtx.meters(), reason)).as(reason + " on gRPC").isEqualTo(1);
        }
        // Nothing was let through: a valid token still works beside them.
        try (GoimClient client = GoimClient.connect(Transport.TCP, comet.tcpPort())) {
            client.auth("{\"room_id\":\"live://jwks\",\"token\":\"" + jwt(now() + 3600) + "\"}");
        }
    }

    @Test
    void aKeyRotatedAtTheIdentityProviderIsUsedWithNoRestart() throws Exception {
        SigningKey next = SigningKey.generate(JWSAlgorithm.EdDSA, "idp-2027");
        String oldToken = jwt(now() + 3600);
        String newToken = jwt(next, now() + 3600);
        // The provider publishes the next key beside the old one, then retires the old one.
        jwks = JwtTestTokens.jwks(next).getBytes(StandardCharsets.UTF_8);

        // A token naming the new kid makes each role fetch the set again (at most every 10 s).
        for (Transport t : Transport.values()) {
            await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().until(() -> {
                try (GoimClient client = GoimClient.connect(t, port(t))) {
                    client.auth("{\"room_id\":\"live://jwks\",\"token\":\"" + newToken + "\"}");
                    client.heartbeat();
                    return true;
                }
            });
        }
        // Until comet has fetched the new key, its Subscribe is refused (the stream ends); then it is counted.
        await().atMost(WAIT).pollInterval(Duration.ofSeconds(1)).until(() -> {
            SubscribeStream stream = subscribe(newToken);
            await().atMost(Duration.ofSeconds(5)).until(() -> stream.end.isDone() || subscribers() >= 1);
            return !stream.end.isDone();
        });
        // The retired key is gone from both roles.
        try (GoimClient client = GoimClient.connect(Transport.TCP, comet.tcpPort())) {
            client.send(7, 1, "{\"room_id\":\"live://jwks\",\"token\":\"" + oldToken + "\"}");
            client.awaitClosed();
        }
        Status status = subscribe(oldToken).end.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(status.getDescription()).startsWith("unknown_key: ");
        assertThat(refused(logicCtx.meters(), "unknown_key")).isPositive();
    }

    private double subscribers() {
        return cometCtx.meters().find("imcluster.comet.topic.subscribers").gauge().value();
    }
}
