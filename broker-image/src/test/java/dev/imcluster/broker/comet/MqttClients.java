package dev.imcluster.broker.comet;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;

/** Eclipse Paho's MQTT 3.1.1 and MQTT 5 clients behind one small interface, for comet's MQTT tests. */
final class MqttClients {
    private static final long WAIT_MS = 20_000;

    private MqttClients() {
    }

    enum Version { V3, V5 }

    /** A message a client received: its topic name and payload. */
    record Received(String topic, String payload) {
    }

    interface Client extends AutoCloseable {
        /** SUBACK's code for the filter (granted QoS, or a refusal: 0x80 for 3.1.1, a reason code for 5). */
        int subscribe(String filter) throws Exception;

        /** Publishes and waits for it to complete: QoS 1 for its PUBACK. 0, or the MQTT 5 PUBACK's refusal. */
        int publish(String topic, String payload, int qos) throws Exception;

        /** The next message; null when none comes within 20 s. */
        Received next() throws InterruptedException;

        /** True while the client is connected. */
        boolean connected();

        /** The reason code of a DISCONNECT the server sent (MQTT 5 only); completes only then. */
        java.util.concurrent.CompletableFuture<Integer> serverDisconnect();

        @Override
        void close() throws Exception;
    }

    /** Connects with {@code token} in the password field; throws with CONNACK's refusal code as reason code. */
    static Client connect(Version version, int port, String clientId, String token) throws Exception {
        return connect(version, port, clientId, token, null);
    }

    /** Over TLS with {@code tls}'s sockets (no host name check: the test certificate names no host). */
    static Client connect(Version version, int port, String clientId, String token, SocketFactory tls)
            throws Exception {
        return version == Version.V3 ? new V3(port, clientId, token, tls) : new V5(port, clientId, token, tls);
    }

    private static String uri(int port, SocketFactory tls) {
        return (tls == null ? "tcp" : "ssl") + "://127.0.0.1:" + port;
    }

    /** The CONNACK refusal code a connect attempt failed with. */
    static int refusalCode(Exception e) {
        if (e instanceof org.eclipse.paho.client.mqttv3.MqttException m) {
            return m.getReasonCode();
        }
        if (e instanceof org.eclipse.paho.mqttv5.common.MqttException m) {
            return m.getReasonCode();
        }
        throw new AssertionError("not an MQTT refusal", e);
    }

    private static final class V3 implements Client {
        private final org.eclipse.paho.client.mqttv3.MqttAsyncClient client;
        private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();

        V3(int port, String clientId, String token, SocketFactory tls) throws Exception {
            client = new org.eclipse.paho.client.mqttv3.MqttAsyncClient(uri(port, tls), clientId,
                    new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
            client.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
                @Override
                public void connectionLost(Throwable cause) {
                }

                @Override
                public void messageArrived(String topic, org.eclipse.paho.client.mqttv3.MqttMessage message) {
                    received.add(new Received(topic, new String(message.getPayload(), StandardCharsets.UTF_8)));
                }

                @Override
                public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken token) {
                }
            });
            org.eclipse.paho.client.mqttv3.MqttConnectOptions options =
                    new org.eclipse.paho.client.mqttv3.MqttConnectOptions();
            options.setMqttVersion(org.eclipse.paho.client.mqttv3.MqttConnectOptions.MQTT_VERSION_3_1_1);
            options.setCleanSession(true);
            options.setAutomaticReconnect(false);
            options.setKeepAliveInterval(30);
            options.setUserName("user");
            options.setPassword(token.toCharArray());
            if (tls != null) {
                options.setSocketFactory(tls);
                options.setHttpsHostnameVerificationEnabled(false);
            }
            try {
                client.connect(options).waitForCompletion(WAIT_MS);
            } catch (Exception e) {
                client.close(true);
                throw e;
            }
        }

        @Override
        public int subscribe(String filter) throws Exception {
            org.eclipse.paho.client.mqttv3.IMqttToken t = client.subscribe(filter, 1);
            try {
                t.waitForCompletion(WAIT_MS);
            } catch (org.eclipse.paho.client.mqttv3.MqttException e) {
                if (e.getReasonCode() != org.eclipse.paho.client.mqttv3.MqttException.REASON_CODE_SUBSCRIBE_FAILED) {
                    throw e;
                }
                return 0x80;
            }
            return t.getGrantedQos()[0];
        }

        @Override
        public int publish(String topic, String payload, int qos) throws Exception {
            client.publish(topic, payload.getBytes(StandardCharsets.UTF_8), qos, false).waitForCompletion(WAIT_MS);
            return 0;
        }

        @Override
        public Received next() throws InterruptedException {
            return received.poll(WAIT_MS, TimeUnit.MILLISECONDS);
        }

        @Override
        public boolean connected() {
            return client.isConnected();
        }

        @Override
        public java.util.concurrent.CompletableFuture<Integer> serverDisconnect() {
            return new java.util.concurrent.CompletableFuture<>(); // 3.1.1 has no server DISCONNECT
        }

        @Override
        public void close() throws Exception {
            if (client.isConnected()) {
                client.disconnect().waitForCompletion(WAIT_MS);
            }
            client.close(true);
        }
    }

    private static final class V5 implements Client {
        private final org.eclipse.paho.mqttv5.client.MqttAsyncClient client;
        private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
        private final java.util.concurrent.CompletableFuture<Integer> serverDisconnect =
                new java.util.concurrent.CompletableFuture<>();

        V5(int port, String clientId, String token, SocketFactory tls) throws Exception {
            client = new org.eclipse.paho.mqttv5.client.MqttAsyncClient(uri(port, tls), clientId,
                    new org.eclipse.paho.mqttv5.client.persist.MemoryPersistence());
            client.setCallback(new org.eclipse.paho.mqttv5.client.MqttCallback() {
                @Override
                public void disconnected(org.eclipse.paho.mqttv5.client.MqttDisconnectResponse response) {
                    if (response.getException() == null) {
                        serverDisconnect.complete(response.getReturnCode());
                    }
                }

                @Override
                public void mqttErrorOccurred(org.eclipse.paho.mqttv5.common.MqttException exception) {
                }

                @Override
                public void messageArrived(String topic, org.eclipse.paho.mqttv5.common.MqttMessage message) {
                    received.add(new Received(topic, new String(message.getPayload(), StandardCharsets.UTF_8)));
                }

                @Override
                public void deliveryComplete(org.eclipse.paho.mqttv5.client.IMqttToken token) {
                }

                @Override
                public void connectComplete(boolean reconnect, String serverURI) {
                }

                @Override
                public void authPacketArrived(int reasonCode,
                                              org.eclipse.paho.mqttv5.common.packet.MqttProperties properties) {
                }
            });
            org.eclipse.paho.mqttv5.client.MqttConnectionOptions options =
                    new org.eclipse.paho.mqttv5.client.MqttConnectionOptions();
            options.setCleanStart(true);
            options.setAutomaticReconnect(false);
            options.setKeepAliveInterval(30);
            options.setUserName("user");
            options.setPassword(token.getBytes(StandardCharsets.UTF_8));
            if (tls != null) {
                options.setSocketFactory(tls);
                options.setHttpsHostnameVerificationEnabled(false);
            }
            try {
                client.connect(options).waitForCompletion(WAIT_MS);
            } catch (Exception e) {
                client.close(true);
                throw e;
            }
        }

        @Override
        public int subscribe(String filter) throws Exception {
            org.eclipse.paho.mqttv5.client.IMqttToken t =
                    client.subscribe(new org.eclipse.paho.mqttv5.common.MqttSubscription(filter, 1));
            try {
                t.waitForCompletion(WAIT_MS);
            } catch (org.eclipse.paho.mqttv5.common.MqttException e) {
                if (e.getReasonCode() < 0x80) {
                    throw e;
                }
                return e.getReasonCode();
            }
            return t.getReasonCodes()[0];
        }

        @Override
        public int publish(String topic, String payload, int qos) throws Exception {
            org.eclipse.paho.mqttv5.client.IMqttToken t =
                    client.publish(topic, payload.getBytes(StandardCharsets.UTF_8), qos, false);
            try {
                t.waitForCompletion(WAIT_MS);
            } catch (org.eclipse.paho.mqttv5.common.MqttException e) {
                if (e.getReasonCode() < 0x80) {
                    throw e;
                }
                return e.getReasonCode();
            }
            int[] codes = t.getReasonCodes();
            return codes == null || codes.length == 0 ? 0 : codes[0];
        }

        @Override
        public Received next() throws InterruptedException {
            return received.poll(WAIT_MS, TimeUnit.MILLISECONDS);
        }

        @Override
        public boolean connected() {
            return client.isConnected();
        }

        @Override
        public java.util.concurrent.CompletableFuture<Integer> serverDisconnect() {
            return serverDisconnect;
        }

        @Override
        public void close() throws Exception {
            if (client.isConnected()) {
                client.disconnect().waitForCompletion(WAIT_MS);
            }
            client.close(true);
        }
    }
}
