package dev.imcluster.broker.mq.mqtt;

import static org.awaitility.Awaitility.await;

import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.mq.Backoff;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A connection the broker accepts but never answers (no CONNACK: a broker that hangs while it starts, or a half-open
 * path) must not hold a link forever: Paho waits for CONNACK with no deadline of its own, so the link gives the
 * attempt up after its connect timeout and connects again. Seen after a SIGKILLed Mosquitto came back: job's member
 * waited 95 s, until Mosquitto dropped the silent connection after 1.5 keep-alives, and every push was refused
 * meanwhile ("no subscription takes the topic").
 */
class MqttLinkTest {

    @ParameterizedTest(name = "MQTT {0}")
    @ValueSource(ints = {3, 5})
    void aConnectThatGetsNoConnackIsGivenUpAndTriedAgain(int protocolVersion) throws Exception {
        try (SilentServer server = new SilentServer()) {
            MqConfig.Mqtt settings = new MqConfig.Mqtt();
            settings.url = "tcp://127.0.0.1:" + server.port();
            settings.protocolVersion = protocolVersion;
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
            MqttLink link = MqttLink.create(settings, new MqttLink.Session("silent-" + protocolVersion, true, 16), null,
                    new MqttLink.Listener() {
                        @Override
                        public void connected(boolean sessionPresent) {
                        }

                        @Override
                        public void message(String topic, int id, byte[] payload, boolean duplicate) {
                        }
                    }, Duration.ofSeconds(1), new Backoff(Duration.ofMillis(100), Duration.ofMillis(200)), scheduler);
            try {
                link.start();
                await("the link connects again after a connect with no CONNACK").atMost(Duration.ofSeconds(15))
                        .until(() -> server.accepted() >= 2);
            } finally {
                link.drop();
                scheduler.shutdownNow();
            }
        }
    }

    /** Accepts connections and reads what comes, answering nothing, and keeps them open. */
    private static final class SilentServer implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final List<Socket> connections = new CopyOnWriteArrayList<>();
        private final Thread acceptor = new Thread(this::accept, "silent-mqtt-server");

        SilentServer() throws IOException {
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        int accepted() {
            return connections.size();
        }

        private void accept() {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    connections.add(s);
                    Thread reader = new Thread(() -> drain(s), "silent-mqtt-reader");
                    reader.setDaemon(true);
                    reader.start();
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private static void drain(Socket s) {
            try (InputStream in = s.getInputStream()) {
                while (in.read() >= 0) {
                    // read and ignore: the CONNECT gets no answer
                }
            } catch (IOException closed) {
                // the client gave up the connection
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
            for (Socket s : connections) {
                s.close();
            }
        }
    }
}
