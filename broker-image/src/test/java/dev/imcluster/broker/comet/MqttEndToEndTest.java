package dev.imcluster.broker.comet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchException;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.pubsub.PubSubServiceGrpc;
import dev.imcluster.broker.api.pubsub.PublishRequest;
import dev.imcluster.broker.api.pubsub.SubscribeRequest;
import dev.imcluster.broker.comet.MqttClients.Client;
import dev.imcluster.broker.comet.MqttClients.Received;
import dev.imcluster.broker.comet.MqttClients.Version;
import dev.imcluster.broker.config.BrokerConfig;
import dev.imcluster.broker.config.LogicConfig;
import dev.imcluster.broker.security.Bearer;
import dev.imcluster.broker.security.JwtTestTokens;
import dev.imcluster.broker.security.TestCerts;
import dev.imcluster.broker.testing.TestSupport;
import io.grpc.Metadata;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * MQTT clients at comet (Eclipse Paho, 3.1.1 and 5), with logic, comet and job as separate roles over the in-memory
 * queue (internal token, HS256 client JWTs): the token in CONNECT's password is checked by logic as goim's Auth is;
 * topic filters {@code room/<type>/<id>} and {@code topic/<name>} receive what the HTTP push API and gRPC Publish
 * send to that room or topic; a QoS 1 PUBLISH reaches gRPC subscribers of its room and is acknowledged; what the
 * token does not permit, wildcards, bad tokens, malformed and oversized packets are refused, counted, and touch no
 * other connection.
 */
class MqttEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TOKEN = "internal-token-0123456789abcdef";
    private static final byte[] SECRET = "an-hs256-secret-of-at-least-32-bytes!".getBytes(StandardCharsets.UTF_8);
    private static final String CLAIM = "\"imcluster\":{\"subscribe\":[\"live://*\",\"news\",\"chat://*\"],"
            + "\"publish\":[\"chat://a\",\"news\"]}";
    private static final int MAX_PACKET = 2048;

    @TempDir
    Path dir;

    private InProcessCluster cluster;

    private BrokerConfig config() throws Exception {
        BrokerConfig c = TestSupport.loopbackConfig();
        c.security.internalTokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n").toString();
        c.logic.auth.mode = LogicConfig.AuthMode.jwt;
        c.logic.auth.hs256SecretFile = Files.write(dir.resolve("secret"), SECRET).toString();
        c.comet.mqtt.enabled = true;
        c.comet.mqtt.port = 0;
        c.comet.mqtt.maxPacketSize = MAX_PACKET;
        return c;
    }

    private void start() throws Exception {
        start(c -> { });
    }

    private void start(java.util.function.Consumer<BrokerConfig> comet) throws Exception {
        cluster = InProcessCluster.builder(this::config).comets("comet-1").comet(comet)
                .job(c -> c.job.roomBatch.maxDelay = Duration.ofMillis(20)).start();
    }

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String jwt(String subject) throws Exception {
        return JwtTestTokens.hs256(SECRET, "{\"sub\":\"" + subject + "\",\"mid\":7,\"exp\":"
                + (System.currentTimeMillis() / 1000 + 3600) + "," + CLAIM + "}");
    }

    private Client mqtt(Version version, String clientId) throws Exception {
        return cluster.closeAtEnd(MqttClients.connect(version, cluster.comet(0).mqttPort(), clientId, jwt(clientId)));
    }

    private static <S extends AbstractStub<S>> S bearer(S stub, String token) {
        Metadata headers = new Metadata();
        headers.put(Bearer.AUTHORIZATION, "Bearer " + token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** A room push through logic's HTTP API (internal token): {@code type://room}. */
    private void pushRoom(String type, String room, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create(cluster.pushUrl() + "/goim/push/room?operation=1000&type="
                        + type + "&room=" + room)).timeout(WAIT).header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        assertThat(TestSupport.HTTP.send(r, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    private double comet(String name, String tag, String value) {
        return cluster.cometCounter(name, tag, value);
    }

    private double refused(String reason) {
        return comet("imcluster.comet.mqtt.refused", "reason", reason);
    }

    @ParameterizedTest
    @EnumSource(Version.class)
    void subscribersReceivePushesAndPublishesReachOtherSubscribers(Version version) throws Exception {
        start();
        Client client = mqtt(version, "device-" + version);

        assertThat(client.subscribe("room/live/1")).as("granted QoS 0").isZero();
        assertThat(client.subscribe("topic/news")).as("granted QoS 0").isZero();

        // The HTTP push API's room push, as goim clients of live://1 get it.
        pushRoom("live", "1", "from-http");
        assertThat(client.next()).isEqualTo(new Received("room/live/1", "from-http"));

        // A gRPC Publish on the topic "news".
        PubSubServiceGrpc.PubSubServiceBlockingStub pubsub = bearer(PubSubServiceGrpc.newBlockingStub(
                cluster.channel(cluster.comet(0).pubsubGrpcPort())), jwt("grpc"));
        pubsub.publish(PublishRequest.newBuilder().setTopic("news").setPayload(ByteString.copyFromUtf8("from-grpc"))
                .build());
        assertThat(client.next()).isEqualTo(new Received("topic/news", "from-grpc"));

        // A QoS 1 PUBLISH on room/chat/a reaches a gRPC subscriber of chat://a once logic accepted it.
        SubscribeStream grpc = new SubscribeStream();
        bearer(PubSubServiceGrpc.newStub(cluster.channel(cluster.comet(0).pubsubGrpcPort())), jwt("grpc"))
                .subscribe(SubscribeRequest.newBuilder().setTopic("chat://a").build(), grpc);
        await().atMost(WAIT).until(() -> cluster.cometContext(0).meters().find("imcluster.comet.topic.subscribers")
                .gauge().value() == 1);
        assertThat(client.publish("room/chat/a", "from-mqtt", 1)).as("PUBACK success").isZero();
        assertThat(grpc.nextPayload()).isEqualTo("from-mqtt");

        if (version == Version.V3) {
            // A wildcard filter is refused, the connection stays (MQTT 5: see the raw-socket test).
            assertThat(client.subscribe("room/live/+")).isEqualTo(0x80);
            assertThat(refused("wildcard")).isEqualTo(1);
        } else {
            // CONNACK told the client that wildcards are not available: Paho refuses them itself.
            assertThat(catchException(() -> client.subscribe("room/live/+")))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        // So is a publish the token does not permit: dropped at QoS 0, PUBACK 0x87 at QoS 1 for MQTT 5.
        client.publish("room/chat/b", "not-permitted", 0);
        await().atMost(WAIT).until(() -> refused("not_authorized") == 1);
        if (version == Version.V5) {
            assertThat(client.publish("room/chat/b", "not-permitted", 1)).isEqualTo(0x87);
            assertThat(refused("not_authorized")).isEqualTo(2);
        }
        assertThat(client.connected()).isTrue();
        pushRoom("live", "1", "still-here");
        assertThat(client.next()).isEqualTo(new Received("room/live/1", "still-here"));
        assertThat(grpc.received).isEmpty(); // nothing refused was forwarded

        if (version == Version.V3) {
            // 3.1.1's PUBACK cannot refuse: a refused QoS 1 publish closes the connection.
            catchException(() -> client.publish("room/chat/b", "not-permitted", 1));
            await().atMost(WAIT).until(() -> !client.connected());
            assertThat(comet("imcluster.comet.disconnects", "reason", "publish_refused")).isEqualTo(1);
        }
    }

    @Test
    void badTokensMalformedOversizedAndSilentClientsAreRefusedAloneAndCounted() throws Exception {
        start();
        Client bystander = mqtt(Version.V5, "bystander");
        assertThat(bystander.subscribe("room/live/9")).isZero();

        // A bad token: CONNACK 0x04 (3.1.1) or 0x86 (5), then closed.
        int port = cluster.comet(0).mqttPort();
        assertThat(MqttClients.refusalCode(catchException(() -> MqttClients.connect(Version.V3, port, "bad3",
                "not-a-jwt")))).isEqualTo(0x04);
        assertThat(MqttClients.refusalCode(catchException(() -> MqttClients.connect(Version.V5, port, "bad5",
                "not-a-jwt")))).isEqualTo(0x86);
        assertThat(comet("imcluster.comet.auth.failures", "reason", "unauthenticated")).isEqualTo(2);

        // Wildcard filters: SUBACK refuses them (0x80; MQTT 5: 0xA2, wildcards not supported), the connection stays.
        for (boolean v5 : new boolean[] {false, true}) {
            try (Socket raw = connected(port, "raw-wildcard-" + v5, v5)) {
                ByteArrayOutputStream subscribe = new ByteArrayOutputStream();
                subscribe.write(0);
                subscribe.write(1); // packet id
                if (v5) {
                    subscribe.write(0); // no properties
                }
                writeString(subscribe, "room/live/#");
                subscribe.write(1); // QoS 1
                writePacket(raw.getOutputStream(), 0x82, subscribe);
                int[] suback = readPacket(raw.getInputStream(), 0x90);
                assertThat(suback[suback.length - 1]).isEqualTo(v5 ? 0xA2 : 0x80);
                raw.getOutputStream().write(new byte[] {(byte) 0xC0, 0}); // PINGREQ
                assertThat(readPacket(raw.getInputStream(), 0xD0)).isEmpty(); // PINGRESP
            }
        }
        assertThat(refused("wildcard")).isEqualTo(2);

        // A malformed packet after a good CONNECT (SUBSCRIBE with its reserved flags wrong): closed.
        try (Socket raw = connected(port, "raw-malformed", false)) {
            raw.getOutputStream().write(new byte[] {(byte) 0x80, 6, 0, 1, 0, 1, 'x', 0});
            assertThat(raw.getInputStream().read()).as("closed").isEqualTo(-1);
        }
        assertThat(comet("imcluster.comet.protocol.errors", "reason", "mqtt_malformed")).isEqualTo(1);

        // A PUBLISH announcing 10 MB: refused at its fixed header, before comet buffers any of it.
        try (Socket raw = connected(port, "raw-oversized", true)) {
            raw.getOutputStream().write(new byte[] {0x30, (byte) 0x80, (byte) 0xAD, (byte) 0xE2, 0x04, 0, 1, 'x'});
            // MQTT 5: told why (DISCONNECT 0x95, packet too large), then closed.
            assertThat(readPacket(raw.getInputStream(), 0xE0)[0]).isEqualTo(0x95);
            assertThat(raw.getInputStream().read()).as("closed").isEqualTo(-1);
        }
        assertThat(comet("imcluster.comet.protocol.errors", "reason", "mqtt_packet_too_large")).isEqualTo(1);

        // One just over the limit from a Paho client: refused too.
        Client big = mqtt(Version.V3, "big");
        catchException(() -> big.publish("room/live/9", "x".repeat(MAX_PACKET), 1));
        await().atMost(WAIT).until(() -> !big.connected());
        assertThat(comet("imcluster.comet.protocol.errors", "reason", "mqtt_packet_too_large")).isEqualTo(2);

        // Garbage before CONNECT: closed as malformed.
        try (Socket raw = new Socket("127.0.0.1", port)) {
            raw.setSoTimeout((int) WAIT.toMillis());
            raw.getOutputStream().write(new byte[] {0, 0});
            assertThat(raw.getInputStream().read()).as("closed").isEqualTo(-1);
        }
        assertThat(comet("imcluster.comet.protocol.errors", "reason", "mqtt_malformed")).isEqualTo(2);

        // A packet other than CONNECT first: closed.
        try (Socket raw = new Socket("127.0.0.1", port)) {
            raw.setSoTimeout((int) WAIT.toMillis());
            raw.getOutputStream().write(new byte[] {(byte) 0xC0, 0}); // PINGREQ
            assertThat(raw.getInputStream().read()).as("closed").isEqualTo(-1);
        }
        assertThat(comet("imcluster.comet.protocol.errors", "reason", "not_connect")).isEqualTo(1);

        // Keep-alive 1 s and then silence: closed once 1.5 keep-alive periods passed.
        try (Socket raw = connected(port, "raw-silent", false, 1)) {
            assertThat(raw.getInputStream().read()).as("closed").isEqualTo(-1);
        }
        assertThat(comet("imcluster.comet.protocol.errors", "reason", "heartbeat_timeout")).isEqualTo(1);

        // The other connection never noticed.
        assertThat(bystander.connected()).isTrue();
        pushRoom("live", "9", "unaffected");
        assertThat(bystander.next()).isEqualTo(new Received("room/live/9", "unaffected"));
    }

    @Test
    void connectionLimitsApplyAndShutdownDisconnectsClients() throws Exception {
        start(c -> c.comet.maxConnectionsPerAddress = 1);
        Client client = mqtt(Version.V5, "only-one");
        assertThat(client.subscribe("room/live/2")).isZero();

        // A second connection from the same address: closed before anything is read.
        try (Socket raw = new Socket("127.0.0.1", cluster.comet(0).mqttPort())) {
            raw.setSoTimeout((int) WAIT.toMillis());
            assertThat(raw.getInputStream().read()).as("closed").isEqualTo(-1);
        }
        assertThat(comet("imcluster.comet.connections.refused", "reason", "per_address_limit")).isEqualTo(1);
        pushRoom("live", "2", "admitted");
        assertThat(client.next()).isEqualTo(new Received("room/live/2", "admitted"));
        assertThat(cluster.cometContext(0).meters().find("imcluster.comet.connections").tag("transport", "mqtt")
                .gauge().value()).isEqualTo(1);

        // Shutdown: MQTT 5 clients are told (DISCONNECT 0x8B, server shutting down) and counted as drained.
        cluster.comet(0).close();
        assertThat(client.serverDisconnect().get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS))
                .isEqualTo(0x8B);
        assertThat(comet("imcluster.comet.disconnects", "reason", "drain")).isEqualTo(1);
    }

    @Test
    void withClientTlsTheMqttPortSpeaksTlsOnly() throws Exception {
        TestCerts cert = TestCerts.rsa(dir, "comet");
        Path crt = Files.writeString(dir.resolve("tls.crt"), cert.certPem());
        Path key = Files.writeString(dir.resolve("tls.key"), cert.keyPem());
        start(c -> {
            c.comet.tls.certFile = crt.toString();
            c.comet.tls.keyFile = key.toString();
        });
        int port = cluster.comet(0).mqttPort();
        Client client = cluster.closeAtEnd(MqttClients.connect(Version.V3, port, "secure", jwt("secure"),
                TestCerts.trusting(cert.certificate()).getSocketFactory()));
        assertThat(client.subscribe("room/live/3")).isZero();
        pushRoom("live", "3", "over-tls");
        assertThat(client.next()).isEqualTo(new Received("room/live/3", "over-tls"));

        // A plaintext CONNECT: no CONNACK, closed, counted; the TLS client stays.
        assertThat(catchThrowable(() -> connected(port, "plaintext", false)).getMessage()).contains("packet type");
        await().atMost(WAIT).until(() -> comet("imcluster.comet.protocol.errors", "reason", "tls") == 1);
        assertThat(client.connected()).isTrue();
    }

    /** A raw socket after an accepted MQTT CONNECT (3.1.1, or 5), with a valid token. */
    private Socket connected(int port, String clientId, boolean v5) throws Exception {
        return connected(port, clientId, v5, 60);
    }

    private Socket connected(int port, String clientId, boolean v5, int keepAliveSeconds) throws Exception {
        Socket raw = new Socket("127.0.0.1", port);
        raw.setSoTimeout((int) WAIT.toMillis());
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeString(body, "MQTT");
        body.write(v5 ? 5 : 4);
        body.write(0xC2); // user name, password, clean session
        body.write(keepAliveSeconds >> 8);
        body.write(keepAliveSeconds & 0xFF);
        if (v5) {
            body.write(0); // no properties
        }
        writeString(body, clientId);
        writeString(body, "user");
        writeString(body, jwt(clientId));
        writePacket(raw.getOutputStream(), 0x10, body);
        int[] connack = readPacket(raw.getInputStream(), 0x20);
        assertThat(connack[1]).as("CONNACK accepted").isZero();
        return raw;
    }

    private static void writePacket(OutputStream out, int first, ByteArrayOutputStream body) throws Exception {
        out.write(first);
        int length = body.size();
        do {
            int digit = length % 128;
            length /= 128;
            out.write(length > 0 ? digit | 0x80 : digit);
        } while (length > 0);
        body.writeTo(out);
        out.flush();
    }

    private static void writeString(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b.length >> 8);
        out.write(b.length & 0xFF);
        out.writeBytes(b);
    }

    /** Reads one packet of this first byte; returns what follows its remaining length. */
    private static int[] readPacket(InputStream in, int first) throws Exception {
        assertThat(in.read()).as("packet type").isEqualTo(first);
        int length = 0;
        int multiplier = 1;
        int digit;
        do {
            digit = in.read();
            length += (digit & 0x7F) * multiplier;
            multiplier *= 128;
        } while ((digit & 0x80) != 0);
        int[] bytes = new int[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = in.read();
        }
        return bytes;
    }
}
