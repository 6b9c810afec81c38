package dev.imcluster.broker.mq.mqtt;

import dev.imcluster.broker.config.MqConfig;
import dev.imcluster.broker.mq.Backoff;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLContext;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttActionListener;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;

/** {@link MqttLink} over Paho's MQTT 5 client: session expiry, receive maximum and reason codes. */
final class Mqtt5Link extends MqttLink {
    /** PUBACK reason: accepted, but no subscription matched (the message went nowhere). */
    private static final int NO_MATCHING_SUBSCRIBERS = 0x10;
    private final MqttAsyncClient client;
    private volatile int sendWindow = 1;

    Mqtt5Link(MqConfig.Mqtt settings, Session session, SSLContext tls, Listener listener, Duration connectTimeout,
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
            public void disconnected(MqttDisconnectResponse response) {
                retry(response.getException() != null ? response.getException()
                        : new IllegalStateException("disconnected by the broker: reason 0x"
                                + Integer.toHexString(response.getReturnCode())));
            }

            @Override
            public void mqttErrorOccurred(MqttException exception) {
                retry(exception);
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                listener.message(topic, message.getId(), message.getPayload(), message.isDuplicate());
            }

            @Override
            public void deliveryComplete(IMqttToken token) {
            }

            @Override
            public void connectComplete(boolean reconnect, String serverURI) {
            }

            @Override
            public void authPacketArrived(int reasonCode, MqttProperties properties) {
            }
        });
    }

    @Override
    protected CompletableFuture<Boolean> connectOnce() {
        MqttConnectionOptions o = new MqttConnectionOptions();
        o.setCleanStart(!session.persistent());
        o.setSessionExpiryInterval(session.persistent() ? settings.sessionExpiry.toSeconds() : 0L);
        o.setReceiveMaximum(Math.min(65_535, Math.max(1, session.receiveMaximum())));
        o.setKeepAliveInterval((int) settings.keepalive.toSeconds());
        o.setConnectionTimeout(connectTimeoutSeconds());
        o.setAutomaticReconnect(false); // MqttLink reconnects, also before the first success
        if (settings.username != null && !settings.username.isBlank()) {
            o.setUserName(settings.username);
        }
        char[] password = password();
        if (password != null) {
            o.setPassword(new String(password).getBytes(StandardCharsets.UTF_8));
        }
        if (tls != null) {
            o.setSocketFactory(tls.getSocketFactory());
        }
        if (session.will() != null) {
            MqttMessage will = new MqttMessage(session.will().payload());
            will.setQos(1);
            will.setRetained(true);
            o.setWill(session.will().topic(), will);
        }
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        try {
            client.connect(o, null, new MqttActionListener() {
                @Override
                public void onSuccess(IMqttToken token) {
                    MqttProperties p = token.getResponseProperties();
                    Integer max = p == null ? null : p.getReceiveMaximum();
                    sendWindow = max == null ? 65_535 : Math.max(1, max);
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
        return sendWindow;
    }

    @Override
    CompletableFuture<Void> publish(String topic, byte[] payload) {
        MqttMessage message = new MqttMessage(payload);
        message.setQos(1);
        try {
            return settle("publish", true, listener -> client.publish(topic, message, null, listener));
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
            return settle("publish", false, listener -> client.publish(topic, message, null, listener));
        } catch (MqttException | RuntimeException e) {
            return failed(e);
        }
    }

    @Override
    CompletableFuture<Void> subscribe(String filter) {
        try {
            return settle("subscribe", false, listener -> client.subscribe(new MqttSubscription[] {
                    new MqttSubscription(filter, 1)}, null, listener, new MqttProperties()));
        } catch (MqttException | RuntimeException e) {
            return failed(e);
        }
    }

    @Override
    CompletableFuture<Void> unsubscribe(String filter) {
        try {
            return settle("unsubscribe", false, listener -> client.unsubscribe(new String[] {filter}, null, listener,
                    new MqttProperties()));
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
        try {
            if (client.isConnected()) {
                MqttProperties p = new MqttProperties();
                if (endSession) {
                    p.setSessionExpiryInterval(0L);
                }
                client.disconnect(connectTimeout.toMillis(), null, null, 0, p).waitForCompletion(
                        connectTimeout.toMillis());
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
        IMqttToken start(MqttActionListener listener) throws MqttException;
    }

    /**
     * Runs a Paho call and completes when its acknowledgement came with success reason codes (below 0x80); a
     * publish must also have reached a subscription ({@code delivered}).
     */
    private static CompletableFuture<Void> settle(String what, boolean delivered, Call call) throws MqttException {
        CompletableFuture<Void> result = new CompletableFuture<>();
        call.start(new MqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
                int[] codes = token.getReasonCodes();
                if (codes != null) {
                    for (int code : codes) {
                        if (code == NO_MATCHING_SUBSCRIBERS && delivered) {
                            // Stored for no one: a success to MQTT, a loss to us (job's group is not subscribed).
                            result.completeExceptionally(new IllegalStateException(
                                    "no subscription takes the topic (job's group has not subscribed yet)"));
                            return;
                        }
                        if (code >= 0x80) {
                            result.completeExceptionally(new IllegalStateException(
                                    "the broker refused the " + what + ": reason code 0x" + Integer.toHexString(code)));
                            return;
                        }
                    }
                }
                result.complete(null);
            }

            @Override
            public void onFailure(IMqttToken token, Throwable error) {
                result.completeExceptionally(error);
            }
        });
        return result;
    }
}
