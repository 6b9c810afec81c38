package dev.imcluster.broker.demo;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.eclipse.paho.mqttv5.client.IMqttMessageListener;
import org.eclipse.paho.mqttv5.client.MqttClient;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttSubscription;

/** An MQTT 5 client of comet's MQTT listener, subscribed to the demo room ({@code room/live/1000}, docs/MQTT.md). */
final class DemoMqttSubscriber {
    private DemoMqttSubscriber() {
    }

    /**
     * Connects to {@code url} (tcp://COMET:1883) with goim's Auth JSON as the password (the demo cluster's goim
     * auth mode), subscribes and hands each message's body to {@code payloads}.
     */
    static AutoCloseable subscribe(String url, String clientId, String authJson, Consumer<String> payloads)
            throws MqttException {
        MqttClient client = new MqttClient(url, clientId, new MemoryPersistence());
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        options.setConnectionTimeout(10);
        options.setPassword(authJson.getBytes(StandardCharsets.UTF_8));
        client.connect(options);
        // The (topic, qos, listener) overload of Paho 1.2.5 calls itself forever: the array one does not.
        IMqttMessageListener listener = (topic, message) ->
                payloads.accept(new String(message.getPayload(), StandardCharsets.UTF_8));
        client.subscribe(new MqttSubscription[] {new MqttSubscription("room/" + Demo.TYPE + "/" + Demo.ROOM, 0)},
                new IMqttMessageListener[] {listener});
        return () -> {
            try {
                client.disconnect();
            } finally {
                client.close();
            }
        };
    }
}
