package dev.imcluster.broker.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.imcluster.broker.Main;
import dev.imcluster.broker.process.BrokerProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's first command, in-process: standalone --demo shows both subscribers receiving. */
class DemoTest {

    @Test
    void standaloneDemoShowsSubscribersReceiving() {
        Map<String, String> env = new HashMap<>();
        for (String key : new String[] {"ADMIN__PORT", "LOGIC__HTTP__PORT", "LOGIC__GRPC__PORT", "COMET__TCP__PORT",
                "COMET__WEBSOCKET__PORT", "COMET__GRPC__PORT", "COMET__PUBSUB_GRPC__PORT"}) {
            env.put("IMCLUSTER__" + key, "0");
        }
        env.put("IMCLUSTER__BIND_ADDRESS", "127.0.0.1");
        env.put("IMCLUSTER__JOB__ROOM_BATCH__MAX_DELAY", "50ms");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Main.Launched launched = Main.launch(new String[] {"standalone", "--demo"}, env,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(launched.exitCode()).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(launched.demo()).isTrue();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (BrokerProcess process = launched.process();
             Demo demo = new Demo(process, new PrintStream(out, true, StandardCharsets.UTF_8))) {
            demo.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                String text = out.toString(StandardCharsets.UTF_8);
                return text.contains("[gRPC subscriber] received on topic live://1000: hello #1 via the HTTP push API")
                        && text.contains("[websocket client] received op 1000: hello #2 via gRPC Publish");
            });
            String text = out.toString(StandardCharsets.UTF_8);
            assertThat(text).contains("curl -X POST").contains("/goim/push/room?operation=1000&type=live&room=1000")
                    .contains("[websocket client] authenticated");
        }
    }
}
