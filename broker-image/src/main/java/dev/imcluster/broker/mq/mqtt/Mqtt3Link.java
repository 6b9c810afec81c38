package dev.imcluster.broker.mq.mqtt;

import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.mq.Backoff;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLContext;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * {@link MqttLink} over Paho's MQTT 3.1.1 client. 3.1.1 has no session expiry (a persistent session lasts until the
 * broker's own limit, e.g. Mosquitto's persistent_client_expiration) and no receive maximum: the broker's in-flight
 * limit (Mosquitto's max_inflight_messages) bounds what a member holds, so keep it at most {@code mq.maxInFlight}.
 */
final class Mqtt3Link extends MqttLink {
    /** Publishes Paho lets wait for PUBACK at once (3.1.1 brokers announce no limit). */
    private static final int SEND_WINDOW = 1000;

    private final MqttAsyncClient client;

    Mqtt3Link(MqConfig.Mqtt settings, Session session, SSLContext tls, Listener listener, Duration connectTimeout,
              Backoff backoff, ScheduledExecutorService scheduler) {
        super(settings, session, tls, listener, connectTimeout, backoff, scheduler);
        try {
            client = new MqttAsyncClient(settings.url, session.clientId(), new MemoryPersistence());
        } catch (MqttException e) {
            throw new IllegalArgumentException("mq.mqtt: cannot create a client for " + settings.url + ": "
                    + e.getMessage(), e);
        }
        client.setManualAcks(true);
        client.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
                retry(cause);
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                listener.message(topic, message.getId(), message.getPayload(), message.isDuplicate());
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
    }

    private MqttConnectOptions options(boolean cleanSession) {
        MqttConnectOptions o = new MqttConnectOptions();
        o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        o.setCleanSession(cleanSession);
        o.setKeepAliveInterval((int) settings.keepalive.toSeconds());
        o.setConnectionTimeout(connectTimeoutSeconds());
        o.setAutomaticReconnect(false); // MqttLink reconnects, also before the first success
        o.setMaxInflight(SEND_WINDOW);
        if (settings.username != null && !settings.username.isBlank()) {
            o.setUserName(settings.username);
        }
        char[] password = password();
        if (password != null) {
            o.setPassword(password);
        }
        if (tls != null) {
            o.setSocketFactory(tls.getSocketFactory());
        }
        if (session.will() != null) {
            o.setWill(session.will().topic(), session.will().payload(), 1, true);
        }
        return o;
    }

    @Override
    protected CompletableFuture<Boolean> connectOnce() {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        try {
            client.connect(options(!session.persistent()), null, new IMqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    result.complete(token.getSessionPresent());
                }

                @Override
                public void onFailure(IMqttToken token, Throwable error) {
                    result.completeExceptionally(error);
                }
            });
        } catch (MqttException | RuntimeException e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    @Override
    boolean connected() {
        return client.isConnected();
    }

    @Override
    int sendWindow() {
        return SEND_WINDOW;
    }

    @Override
    CompletableFuture<Void> publish(String topic, byte[] payload) {
        MqttMessage message = new MqttMessage(payload);
        message.setQos(1);
        try {
            return settle("publish", listener -> client.publish(topic, message, null, listener));
        } catch (MqttException | RuntimeException e) {
            return failed(e);
        }
    }

    @Override
    CompletableFuture<Void> publishRetained(String topic, byte[] payload) {
        MqttMessage message = new MqttMessage(payload);
        message.setQos(1);
        message.setRetained(true);
        try {
            return settle("publish", listener -> client.publish(topic, message, null, listener));
        } catch (MqttException | RuntimeException e) {
            return failed(e);
        }
    }

    @Override
    CompletableFuture<Void> subscribe(String filter) {
        try {
            return settle("subscribe", listener -> client.subscribe(new String[] {filter}, new int[] {1}, null,
                    listener));
        } catch (MqttException | RuntimeException e) {
            return failed(e);
        }
    }

    @Override
    CompletableFuture<Void> unsubscribe(String filter) {
        try {
            return settle("unsubscribe", listener -> client.unsubscribe(new String[] {filter}, null, listener));
        } catch (MqttException | RuntimeException e) {
            return failed(e);
        }
    }

    @Override
    void ack(int id) {
        try {
            client.messageArrivedComplete(id, 1);
        } catch (MqttException | RuntimeException e) {
            // Not acknowledged: the broker sends it again when this session reconnects (at-least-once).
        }
    }

    @Override
    protected void disconnect(boolean endSession) {
        long timeout = connectTimeout.toMillis();
        try {
            if (client.isConnected()) {
                client.disconnect(timeout, null, null).waitForCompletion(timeout);
            }
            if (endSession) {
                // 3.1.1 ends a session only by connecting with a clean one.
                client.connect(options(true)).waitForCompletion(timeout);
                client.disconnect(timeout, null, null).waitForCompletion(timeout);
            }
        } catch (MqttException | RuntimeException e) {
            // closing anyway
        }
        try {
            client.close(true);
        } catch (MqttException | RuntimeException e) {
            // closing anyway
        }
    }

    @Override
    protected void abandonConnect() {
        try {
            client.disconnectForcibly(0, 0, false);
        } catch (MqttException | RuntimeException e) {
            // the next connect reports what is wrong
        }
    }

    @Override
    protected void dropConnection() {
        try {
            client.disconnectForcibly(0, connectTimeout.toMillis(), false);
        } catch (MqttException | RuntimeException e) {
            // dropping anyway
        }
        try {
            client.close(true);
        } catch (MqttException | RuntimeException e) {
            // dropping anyway
        }
    }

    @FunctionalInterface
    private interface Call {
        IMqttToken start(IMqttActionListener listener) throws MqttException;
    }

    /** Runs a Paho call; completes when acknowledged, failing on a SUBACK that refused (0x80). */
    private static CompletableFuture<Void> settle(String what, Call call) throws MqttException {
        CompletableFuture<Void> result = new CompletableFuture<>();
        call.start(new IMqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
                int[] granted = token.getGrantedQos();
                if (granted != null && granted.length > 0 && granted[0] == 0x80) {
                    result.completeExceptionally(new IllegalStateException("the broker refused the " + what));
                } else {
                    result.complete(null);
                }
            }

            @Override
            public void onFailure(IMqttToken token, Throwable error) {
                result.completeExceptionally(error);
            }
        });
        return result;
    }
}
